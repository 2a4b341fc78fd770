/** @tracked */
const fmt = {
  prefix: '>',
  tag(strings: TemplateStringsArray, ...values: unknown[]) {
    return `${this.prefix}${strings.join('|')}${values.length}`;
  },
};
console.log(fmt.tag`a${1}b`);
/** @tracked */
const nested = { inner: { mark: '#', t(s: TemplateStringsArray) { return this.mark + s[0]; } } };
console.log(nested.inner.t`x`);

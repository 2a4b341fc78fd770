/** @tracked */
const user = { name: 'ada', visits: 2 };
const tag = (strings: TemplateStringsArray, ...values: unknown[]) => strings.raw.join('#') + values.join('+');
console.log(`${user.name} visited ${user.visits} times`);
console.log(tag`a${user.name}b${user.visits}`);

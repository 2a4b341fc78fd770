/** @tracked */
const hooks: any = { before: () => 'ran', after: undefined };
let argEvals = 0;
const arg = () => { argEvals++; return 1; };
console.log(hooks.before?.(arg()), hooks.after?.(arg()), hooks.missing?.x(arg()));
console.log(argEvals);

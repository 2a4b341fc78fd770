/** @tracked */
const config: any = { db: { host: 'h' }, cache: null };
let keyEvals = 0;
const k = () => { keyEvals++; return 'host'; };
console.log(config?.db?.host, config.cache?.host, config.cache?.[k()], config.db?.[k()]);
console.log(keyEvals);

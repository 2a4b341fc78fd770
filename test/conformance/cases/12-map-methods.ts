/** @tracked */
const sessions = new Map<string, number>();
sessions.set('abc', 1);
console.log(sessions.get('abc'), sessions.has('abc'), sessions.has('zzz'));
sessions.set('abc', sessions.get('abc')! + 1);
console.log(sessions.delete('abc'), sessions.delete('abc'));
sessions.set('x', 1);
sessions.clear();
console.log(sessions.size);

/** @tracked */
const queue: number[] = [3, 1, 2];
queue.push(4);
queue[0] = 9;
const first = queue[0];
queue.sort((x, y) => x - y);
const last = queue.pop();
queue.splice(1, 1);
console.log(first, last, queue.length, queue.join(','), queue.map((x) => x * 2).join(','));

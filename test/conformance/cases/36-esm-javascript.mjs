import { EventEmitter } from 'node:events';
/** @tracked */
let received = [];
const bus = new EventEmitter();
bus.on('msg', (m) => { received = [...received, m]; });
bus.emit('msg', 1);
bus.emit('msg', 2);
export const count = () => received.length;
console.log(count());

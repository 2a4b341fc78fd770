import { basename } from 'node:path';
/** @tracked */
let files: string[] = [];
export function add(p: string) { files.push(basename(p)); return files.length; }
console.log(add('/a/b.txt'), add('/c/d.txt'), files.join(','));

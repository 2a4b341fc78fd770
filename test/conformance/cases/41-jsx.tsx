const React = { createElement: (tag: string, props: any, ...children: any[]) => `<${tag}>${children.join('')}</${tag}>` };
/** @tracked */
const cart = { items: 2 };
const view = <div>{cart.items} items</div>;
cart.items++;
console.log(view, cart.items);

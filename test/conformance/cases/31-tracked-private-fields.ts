class Wallet {
  /** @tracked */
  #coins = 0;
  add(n: number) { this.#coins += n; return this; }
  get coins() { return this.#coins; }
  static same(a: Wallet, b: Wallet) { return a.#coins === b.#coins; }
}
const w1 = new Wallet().add(2).add(3);
const w2 = new Wallet().add(5);
console.log(w1.coins, Wallet.same(w1, w2));

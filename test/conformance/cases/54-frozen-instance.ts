class Point {
  /** @tracked */ x = 1;
  constructor() {
    Object.freeze(this);
  }
  move() {
    try {
      this.x = 2;
      return 'moved';
    } catch (error) {
      return (error as Error).constructor.name;
    }
  }
}
const p = new Point();
console.log(p.move(), p.x, Object.isFrozen(p));

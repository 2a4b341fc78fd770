class S {
  /** @tracked */ static count = 0;
  static inc() {
    return ++this.count;
  }
}
class T extends S {}
console.log(S.inc(), T.inc(), T.inc(), S.count, T.count, Object.hasOwn(T, 'count'));

import { tracked } from '@raceway/runtime';
class Account {
  @tracked balance = 100;
  @tracked static opened = 0;
  owner: string;
  constructor(owner: string) { this.owner = owner; Account.opened++; }
  withdraw(n: number) { this.balance -= n; return this.balance; }
}
const a = new Account('alice');
const b = new Account('bob');
a.withdraw(10);
b.withdraw(1);
console.log(JSON.stringify(a), Object.keys(b).join(','), Account.opened);

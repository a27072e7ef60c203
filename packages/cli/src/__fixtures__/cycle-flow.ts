// Two tasks that wait on each other.
import { Flow } from '@flowenv/core';

const flow = new Flow({ name: 'cycle-flow' });
flow.task('chicken', { upstream: { egg: 'egg' } }, () => 'chicken');
flow.task('egg', { upstream: { chicken: 'chicken' } }, () => 'egg');

export default flow;

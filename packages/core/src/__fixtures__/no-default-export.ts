import { Flow } from '@flowenv/core';

export const flow = new Flow({ name: 'not-default' });

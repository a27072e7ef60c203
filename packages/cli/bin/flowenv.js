#!/usr/bin/env node
// The `flowenv` command. Kept tiny: all logic lives in the built package.
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));

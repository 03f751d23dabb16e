#!/usr/bin/env node
import 'reflect-metadata';
import { main } from './main.js';

process.exitCode = await main();
// Background work of plugins (worker pools, watchers) must not keep a finished command alive;
// the grace period lets stdout drain first.
setTimeout(() => process.exit(), 2000).unref();

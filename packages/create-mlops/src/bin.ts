#!/usr/bin/env node
import { createMlops } from './index.js';

process.exitCode = await createMlops(process.argv.slice(2));

#!/usr/bin/env node
// A committed shim, so npm links the `mlops` bin at install time even before `dist/` is built.
import '../dist/cli/bin.js';

#!/usr/bin/env node
// A committed shim, so npm links the `create-mlops` bin at install time even before `dist/` is built.
import '../dist/bin.js';

#!/usr/bin/env node
// `npm run kafka:stop`: stops the local broker (`-- --clean` also removes its data).
import { stopKafka } from './node.mjs';

const r = await stopKafka({ clean: process.argv.includes('--clean') });
console.log(r.stopped ? `kafka: stopped pid ${r.pid} in ${r.seconds} s` : 'kafka: not running');

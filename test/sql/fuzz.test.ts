// The query fuzzer with the kernels the process chose (native where built).
import './fuzz-suite.js';

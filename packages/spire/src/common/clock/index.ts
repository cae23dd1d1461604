export { type Clock, realClock, type Timer } from './clock.js';
export { FakeClock } from './fake-clock.js';

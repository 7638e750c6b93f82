/** The poetry servers, for tests, benchmarks, `npm start` and `npm run serve`. */
export { type ClassicServers, type ClassicServersOptions, startClassicServers } from './classic.ts';
export { type FastServerOptions, startFastServer } from './fast.ts';
export { type FaultMode, type FaultyServerOptions, faultModes, refusingAddress, startFaultyServer } from './faulty.ts';
export { connectionLine, type ListenOptions, type PoetryServer, type ServerKind, type ServerStats } from './server.ts';
export {
  type SlowPoetryServer,
  type SlowSchedule,
  type SlowServerOptions,
  slowSchedule,
  startSlowServer,
} from './slow.ts';
export { defaultMaxRequest, startTransformServer, type TransformServerOptions } from './transform.ts';
export { isTransformName, type TransformName, transforms } from './transforms.ts';

// fib/: kernel route programming with Calico's encapsulations. Takes plain data (best routes, the
// pools and this node's subnets and peers' VTEPs) and imports nothing of the rest of the daemon.
export { kernelRoute, blackholeRoute, poolFor, normalizeMac, defaultDevices } from './encap.js';
export type { BestRoute, EncapContext, EncapMode, FdbIntent, NeighbourIntent, NextHop, PoolInfo, RouteIntent, Vtep } from './encap.js';
export { Fib } from './fib.js';
export type { FibError, FibLog, FibOptions, FibStatus, RouteResult } from './fib.js';
export { normalizePrefix, normalizeAddress } from './ip.js';
export { KernelRouteWatcher, decodeRoute, globToRegExp } from './learn.js';
export type { AlienBatch, AlienRoute, AlienRouteType, KernelRouteWatcherOptions, WatcherLog, WatcherStatus } from './learn.js';

export {
  createCachedDirectory,
  cacheKey,
  type CachedDeviceDirectory,
  type CachedAnswer,
  type CacheSource,
  type CacheCounters,
  type DeviceCacheOptions,
} from './cached-directory.js';

package io.evasan.nsc.lun;

/**
 * Told about every write the cache destages into a LUN, just before it reaches the sharing tree
 * (changed-segment tracking and the seed 003 log bound live here). Called on destage worker
 * threads, possibly concurrently for different ranges; must be cheap and must not call into the
 * cache (it runs inside the destager).
 */
@FunctionalInterface
public interface DestageObserver {
    void beforeWrite(int lunId, long byteOffset, int length);
}

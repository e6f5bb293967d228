package io.evasan.nsc.lun;

/**
 * Told about every change reaching a LUN's sharing-tree disk — each write the cache destages and
 * each UNMAP — just before it is applied (changed-segment tracking and the seed 003 log bound
 * live here). Called on destage worker
 * threads, possibly concurrently for different ranges; must be cheap and must not call into the
 * cache (it runs inside the destager).
 */
@FunctionalInterface
public interface DestageObserver {
    void beforeWrite(int lunId, long byteOffset, long length);
}

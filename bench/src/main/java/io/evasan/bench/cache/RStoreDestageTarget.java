package io.evasan.bench.cache;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.DestageTarget;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.rstore.RStore;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Benchmark backend: one LUN (id 0) laid straight over a list of RStores (LUN byte b lives in
 * RStore b / 8 MB at offset b % 8 MB), without the mapping layer. It measures what the cache costs
 * over the RStore data path; the real stack puts mapping and the sharing tree in between.
 * Invariant: never addresses beyond the RStores it was given.
 */
final class RStoreDestageTarget implements DestageTarget {
    private final DiskGroup group;
    private final List<RStore> stores;

    RStoreDestageTarget(DiskGroup group, List<RStore> stores) {
        this.group = group;
        this.stores = stores;
    }

    @Override
    public long lunSizeBytes(int lunId) {
        if (lunId != 0) {
            throw new StorageException(ErrorCode.NOT_FOUND, "LUN " + lunId);
        }
        return stores.size() * RStore.SIZE_BYTES;
    }

    @Override
    public void write(int lunId, long byteOffset, ByteBuffer src) {
        long off = byteOffset;
        int end = src.limit();
        while (src.position() < end) {
            int idx = (int) (off / RStore.SIZE_BYTES);
            long o = off % RStore.SIZE_BYTES;
            int n = (int) Math.min(end - src.position(), RStore.SIZE_BYTES - o);
            src.limit(src.position() + n);
            stores.get(idx).write(o, src);
            src.limit(end);
            off += n;
        }
    }

    @Override
    public void read(int lunId, long byteOffset, ByteBuffer dst) {
        long off = byteOffset;
        int end = dst.limit();
        while (dst.position() < end) {
            int idx = (int) (off / RStore.SIZE_BYTES);
            long o = off % RStore.SIZE_BYTES;
            int n = (int) Math.min(end - dst.position(), RStore.SIZE_BYTES - o);
            dst.limit(dst.position() + n);
            stores.get(idx).read(o, dst);
            dst.limit(end);
            off += n;
        }
    }

    @Override
    public void flush(int lunId) {
        group.flush();
    }

    @Override
    public void flushAll() {
        group.flush();
    }
}

package io.evasan.raid;

import io.evasan.raid.impl.PoolImpl;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.nio.file.Path;

/**
 * Creates and opens pools in a data directory. A pool directory holds {@code pool.list}
 * (where the drives are) and, for file drives given with relative paths, the drive files.
 */
public final class Pools {
    private Pools() {
    }

    /** True if {@code dir} holds a pool. */
    public static boolean exists(Path dir) {
        return PoolImpl.exists(dir);
    }

    /**
     * Creates a pool: validates every drive first (DRIVE_TOO_SMALL, DUPLICATE_DRIVE,
     * FOREIGN_POOL, INSUFFICIENT_DRIVES; nothing is written if one fails), then labels the drives.
     *
     * @throws io.evasan.error.StorageException ALREADY_EXISTS if {@code dir} already holds a pool
     */
    public static Pool create(Path dir, PoolSpec spec) {
        return create(dir, spec, new SimpleMeterRegistry());
    }

    public static Pool create(Path dir, PoolSpec spec, MeterRegistry registry) {
        return PoolImpl.create(dir, spec, registry);
    }

    /**
     * Opens the pool in {@code dir}: reads labels, rebuilds every RSD from the drives' PSEG
     * tables. Missing or foreign drives are opened as missing (see {@link Pool#describe()}).
     *
     * @throws io.evasan.error.StorageException NOT_FOUND if {@code dir} holds no pool
     */
    public static Pool open(Path dir) {
        return open(dir, new SimpleMeterRegistry());
    }

    public static Pool open(Path dir, MeterRegistry registry) {
        return PoolImpl.open(dir, registry);
    }

    /** As {@link #open(Path, MeterRegistry)}, drives and journals opened through {@code io} (test seam). */
    public static Pool open(Path dir, MeterRegistry registry, PoolIo io) {
        return PoolImpl.open(dir, registry, io);
    }

    /** As {@link #create(Path, PoolSpec, MeterRegistry)}, drives and journals opened through {@code io}. */
    public static Pool create(Path dir, PoolSpec spec, MeterRegistry registry, PoolIo io) {
        return PoolImpl.create(dir, spec, registry, io);
    }

    /** Opens the pool in {@code dir}, creating it from {@code spec} on first start. */
    public static Pool openOrCreate(Path dir, PoolSpec spec) {
        return openOrCreate(dir, spec, new SimpleMeterRegistry());
    }

    public static Pool openOrCreate(Path dir, PoolSpec spec, MeterRegistry registry) {
        return exists(dir) ? open(dir, registry) : create(dir, spec, registry);
    }
}

package io.evasan.mapping;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Options of a {@link Mapping}.
 *
 * @param fsync           force the PLDMC log (fsync) on every metadata change: durable against
 *                        power loss; false keeps it durable against process death only
 * @param mldCopies       quorum areas that hold a copy of the MLD (3..5 recommended)
 * @param minCompactBytes log tail size before a checkpoint is considered
 * @param registry        where {@link MappingStats} registers its meters
 */
public record MappingOptions(boolean fsync, int mldCopies, long minCompactBytes, MeterRegistry registry) {
    public static MappingOptions defaults() {
        return new MappingOptions(true, 3, 16L << 20, new SimpleMeterRegistry());
    }

    public MappingOptions withFsync(boolean f) {
        return new MappingOptions(f, mldCopies, minCompactBytes, registry);
    }

    public MappingOptions withMldCopies(int c) {
        return new MappingOptions(fsync, c, minCompactBytes, registry);
    }

    public MappingOptions withMinCompactBytes(long b) {
        return new MappingOptions(fsync, mldCopies, b, registry);
    }

    public MappingOptions withRegistry(MeterRegistry r) {
        return new MappingOptions(fsync, mldCopies, minCompactBytes, r);
    }
}

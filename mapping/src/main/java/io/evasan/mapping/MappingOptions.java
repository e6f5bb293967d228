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
 * @param mldAcceptRollbackTo the operator's consent to open the MLD on this older generation when
 *                        a newer acknowledged one is damaged on every copy; -1 = refuse
 *                        (see {@code io.evasan.mld.MldOptions#acceptRollbackTo})
 */
public record MappingOptions(boolean fsync, int mldCopies, long minCompactBytes, MeterRegistry registry,
                             long mldAcceptRollbackTo) {
    public MappingOptions(boolean fsync, int mldCopies, long minCompactBytes, MeterRegistry registry) {
        this(fsync, mldCopies, minCompactBytes, registry, -1);
    }

    public static MappingOptions defaults() {
        return new MappingOptions(true, 3, 16L << 20, new SimpleMeterRegistry());
    }

    public MappingOptions withFsync(boolean f) {
        return new MappingOptions(f, mldCopies, minCompactBytes, registry, mldAcceptRollbackTo);
    }

    public MappingOptions withMldCopies(int c) {
        return new MappingOptions(fsync, c, minCompactBytes, registry, mldAcceptRollbackTo);
    }

    public MappingOptions withMinCompactBytes(long b) {
        return new MappingOptions(fsync, mldCopies, b, registry, mldAcceptRollbackTo);
    }

    public MappingOptions withRegistry(MeterRegistry r) {
        return new MappingOptions(fsync, mldCopies, minCompactBytes, r, mldAcceptRollbackTo);
    }

    public MappingOptions withMldAcceptRollbackTo(long generation) {
        return new MappingOptions(fsync, mldCopies, minCompactBytes, registry, generation);
    }
}

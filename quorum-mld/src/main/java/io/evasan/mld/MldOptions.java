package io.evasan.mld;

/**
 * Where in each quorum area the MLD lives and how many mirrored copies to keep.
 *
 * @param maxCopies        quorum areas written per commit (the first available ones in the order
 *                         given; the caller interleaves disk groups so copies spread over groups)
 * @param regionOffset     start of the MLD region inside each quorum area (multiple of 512)
 * @param regionLength     length of the region; {@code <= 0} means "to the end of the area"
 * @param acceptRollbackTo the operator's explicit consent to open on this older generation when
 *                         a newer, acknowledged generation is damaged on every copy (see
 *                         quorum-mld/README.md, <i>Recovery</i>); {@code -1} (the default) means
 *                         refuse to open in that case
 */
public record MldOptions(int maxCopies, long regionOffset, long regionLength, long acceptRollbackTo) {
    public static final int DEFAULT_COPIES = 3;
    public static final long NO_ROLLBACK = -1;

    public MldOptions {
        if (maxCopies < 1) {
            throw new IllegalArgumentException("maxCopies must be >= 1: " + maxCopies);
        }
        if (regionOffset < 0 || regionOffset % 512 != 0) {
            throw new IllegalArgumentException("regionOffset must be a non-negative multiple of 512: " + regionOffset);
        }
        if (acceptRollbackTo < NO_ROLLBACK) {
            throw new IllegalArgumentException("acceptRollbackTo must be a generation >= 0 or -1 (none): " + acceptRollbackTo);
        }
    }

    public MldOptions(int maxCopies, long regionOffset, long regionLength) {
        this(maxCopies, regionOffset, regionLength, NO_ROLLBACK);
    }

    public static MldOptions defaults() {
        return new MldOptions(DEFAULT_COPIES, 0, 0);
    }

    public MldOptions withCopies(int copies) {
        return new MldOptions(copies, regionOffset, regionLength, acceptRollbackTo);
    }

    /** Consent to open on generation {@code generation} if newer acknowledged generations are lost. */
    public MldOptions withAcceptRollbackTo(long generation) {
        return new MldOptions(maxCopies, regionOffset, regionLength, generation);
    }
}

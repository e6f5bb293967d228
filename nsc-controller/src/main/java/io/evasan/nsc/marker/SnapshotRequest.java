package io.evasan.nsc.marker;

import io.evasan.sharing.AllocationPolicy;
import io.evasan.sharing.SnapcloneMode;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a snapshot marker asks for when it leaves the cache: a snapshot (or snapclone) of a set of
 * LUNs taken together (one consistency point).
 *
 * <p>Invariants: immutable; {@link #requestId()} identifies the request across a restart (the
 * marker is persisted in non-volatile mode and the snapshot may be requested again after a crash,
 * see {@link SnapshotAction}); the LUN set is non-empty, sorted and duplicate-free; the name is at
 * most {@link #MAX_NAME_BYTES} bytes of UTF-8; {@link #policy()} is null when the request leaves
 * the allocation policy to the controller's configured one (requests logged before policies
 * existed decode that way); {@link #diskGroup()} is -1 (the LUN's own group) unless a snapclone
 * was asked for in another disk group (requests logged before that decode as -1); a snapclone's
 * {@link #snapcloneMode()} (seed 004: EAGER, Figs. 13-14, or SCALING, Fig. 15) and quiesce threshold M
 * ({@link #quiesceThreshold()}, 0 = the controller's configured one) ride in the kind word
 * ({@link #kindWord()}); requests logged before that decode as EAGER with M 0.
 */
public final class SnapshotRequest {
    /** Largest disk group id a request can carry (16 bits on the wire, 0 meaning "the LUN's group"). */
    public static final int MAX_DISK_GROUP = 0xFFFE;
    /** Longest name, in UTF-8 bytes. */
    public static final int MAX_NAME_BYTES = 255;

    /** Snapshot (metadata-only copy) or snapclone (snapshot plus background copy). */
    public enum Kind {
        SNAPSHOT(1), SNAPCLONE(2);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        /** Stable wire/log code. */
        public int code() {
            return code;
        }

        /** Inverse of {@link #code()}. */
        public static Kind ofCode(int code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            throw new IllegalArgumentException("snapshot kind code " + code);
        }
    }

    /** Who asked. */
    public enum Source {
        API(1), SCHEDULE(2), HOST(3);

        private final int code;

        Source(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Source ofCode(int code) {
            for (Source s : values()) {
                if (s.code == code) {
                    return s;
                }
            }
            throw new IllegalArgumentException("snapshot source code " + code);
        }
    }

    private final long requestId;
    private final String name;
    private final Kind kind;
    private final Source source;
    private final int[] lunIds;
    private final AllocationPolicy policy;
    private final int diskGroup;
    private final SnapcloneMode mode;
    private final int quiesceThreshold;

    /** Largest quiesce threshold M a request carries (16 bits of the kind word). */
    public static final int MAX_QUIESCE_THRESHOLD = 0xFFFF;

    public SnapshotRequest(long requestId, String name, Kind kind, Source source, int... lunIds) {
        this(requestId, name, kind, source, null, lunIds);
    }

    /** A request with an explicit allocation policy ({@code null} = the controller's configured policy). */
    public SnapshotRequest(long requestId, String name, Kind kind, Source source, AllocationPolicy policy, int... lunIds) {
        this(requestId, name, kind, source, policy, lunIds, -1);
    }

    /**
     * This snapclone request with the disk group of the new disk ({@code diskGroup < 0} = the LUN's own group).
     *
     * @throws IllegalArgumentException for a plain snapshot with a group, or a group beyond {@link #MAX_DISK_GROUP}
     */
    public SnapshotRequest inDiskGroup(int diskGroup) {
        return new SnapshotRequest(requestId, name, kind, source, policy, lunIds, diskGroup, mode, quiesceThreshold);
    }

    /**
     * This snapclone request in mode {@code mode} (null = EAGER) with quiesce threshold {@code m} (0 = the
     * controller's configured M).
     *
     * @throws IllegalArgumentException SCALING or an M on a plain snapshot; M outside 0..{@link #MAX_QUIESCE_THRESHOLD}
     */
    public SnapshotRequest withSnapcloneMode(SnapcloneMode mode, int m) {
        return new SnapshotRequest(requestId, name, kind, source, policy, lunIds, diskGroup, mode, m);
    }

    private SnapshotRequest(long requestId, String name, Kind kind, Source source, AllocationPolicy policy,
                            int[] lunIds, int diskGroup) {
        this(requestId, name, kind, source, policy, lunIds, diskGroup, null, 0);
    }

    private SnapshotRequest(long requestId, String name, Kind kind, Source source, AllocationPolicy policy,
                            int[] lunIds, int diskGroup, SnapcloneMode mode, int quiesceThreshold) {
        this.mode = mode == null ? SnapcloneMode.EAGER : mode;
        if (quiesceThreshold < 0 || quiesceThreshold > MAX_QUIESCE_THRESHOLD) {
            throw new IllegalArgumentException("quiesce threshold M " + quiesceThreshold + " outside 0.." + MAX_QUIESCE_THRESHOLD);
        }
        if ((this.mode != SnapcloneMode.EAGER || quiesceThreshold != 0) && kind != Kind.SNAPCLONE) {
            throw new IllegalArgumentException("only a snapclone has a snapclone mode or a quiesce threshold");
        }
        this.quiesceThreshold = quiesceThreshold;
        if (diskGroup > MAX_DISK_GROUP) {
            throw new IllegalArgumentException("disk group " + diskGroup + " beyond " + MAX_DISK_GROUP);
        }
        if (diskGroup >= 0 && kind != Kind.SNAPCLONE) {
            throw new IllegalArgumentException("only a snapclone is placed in another disk group");
        }
        this.diskGroup = Math.max(diskGroup, -1);
        this.requestId = requestId;
        this.policy = policy;
        this.name = Objects.requireNonNull(name, "name");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.source = Objects.requireNonNull(source, "source");
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("snapshot name longer than " + MAX_NAME_BYTES + " bytes");
        }
        if (lunIds == null || lunIds.length == 0) {
            throw new IllegalArgumentException("a snapshot request names at least one LUN");
        }
        int[] sorted = lunIds.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            if (sorted[i] < 0 || (i > 0 && sorted[i] == sorted[i - 1])) {
                throw new IllegalArgumentException("LUN ids must be distinct and >= 0: " + Arrays.toString(lunIds));
            }
        }
        this.lunIds = sorted;
    }

    public long requestId() {
        return requestId;
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    public Source source() {
        return source;
    }

    /** The allocation policy asked for, or null for the controller's configured one. */
    public AllocationPolicy policy() {
        return policy;
    }

    /** Stable log/wire code of {@link #policy()}: 0 = controller default, 1 = RESERVE_FULL, 2 = ON_DEMAND. */
    public int policyCode() {
        return policy == null ? 0 : policy == AllocationPolicy.RESERVE_FULL ? 1 : 2;
    }

    /** Inverse of {@link #policyCode()}. */
    public static AllocationPolicy policyOfCode(int code) {
        return switch (code) {
            case 0 -> null;
            case 1 -> AllocationPolicy.RESERVE_FULL;
            case 2 -> AllocationPolicy.ON_DEMAND;
            default -> throw new IllegalArgumentException("snapshot policy code " + code);
        };
    }

    /** Disk group of the new disk (a snapclone), or -1 for the LUN's own group. */
    public int diskGroup() {
        return diskGroup;
    }

    /** Stable log/wire code of {@link #diskGroup()}: 0 = the LUN's group, else group + 1 (16 bits). */
    public int diskGroupCode() {
        return diskGroup + 1;
    }

    /** Inverse of {@link #diskGroupCode()}. */
    public static int diskGroupOfCode(int code) {
        if (code < 0 || code > MAX_DISK_GROUP + 1) {
            throw new IllegalArgumentException("snapshot disk group code " + code);
        }
        return code - 1;
    }

    /** The snapclone mode asked for (EAGER for a snapshot and for requests logged before modes existed). */
    public SnapcloneMode snapcloneMode() {
        return mode;
    }

    /** A snapclone's quiesce threshold M (Fig. 15d), 0 = the controller's configured one. */
    public int quiesceThreshold() {
        return quiesceThreshold;
    }

    /**
     * The kind word of the cache log and the mirror message: bits 0-7 the kind code, bits 8-15 the snapclone
     * mode (0 EAGER, 1 SCALING), bits 16-31 M. Older records carry the kind code alone: EAGER, M 0.
     */
    public int kindWord() {
        return kind.code() | (mode == SnapcloneMode.SCALING ? 1 << 8 : 0) | quiesceThreshold << 16;
    }

    /** Kind code of a kind word. */
    public static int kindOfWord(int word) {
        return word & 0xFF;
    }

    /** Applies a kind word's mode and M to {@code r} (decoded with the word's kind code). */
    public static SnapshotRequest withKindWord(SnapshotRequest r, int word) {
        int modeCode = word >>> 8 & 0xFF;
        if (modeCode > 1) {
            throw new IllegalArgumentException("snapshot kind word " + Integer.toHexString(word) + ": mode code " + modeCode);
        }
        int m = word >>> 16;
        if (modeCode == 0 && m == 0) {
            return r;
        }
        return r.withSnapcloneMode(modeCode == 1 ? SnapcloneMode.SCALING : SnapcloneMode.EAGER, m);
    }

    /** The LUNs, sorted ascending (a copy). */
    public int[] lunIds() {
        return lunIds.clone();
    }

    /** Number of LUNs. */
    public int lunCount() {
        return lunIds.length;
    }

    /** The i-th LUN id in ascending order. */
    public int lunId(int i) {
        return lunIds[i];
    }

    /** True if this request covers the LUN. */
    public boolean covers(int lunId) {
        return Arrays.binarySearch(lunIds, lunId) >= 0;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof SnapshotRequest)) {
            return false;
        }
        SnapshotRequest r = (SnapshotRequest) o;
        return requestId == r.requestId && name.equals(r.name) && kind == r.kind && source == r.source
                && policy == r.policy && diskGroup == r.diskGroup && mode == r.mode
                && quiesceThreshold == r.quiesceThreshold && Arrays.equals(lunIds, r.lunIds);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(requestId) * 31 + name.hashCode();
    }

    @Override
    public String toString() {
        return "SnapshotRequest[id=" + requestId + ", name=" + name + ", " + kind + ", " + source
                + (policy == null ? "" : ", " + policy) + (diskGroup < 0 ? "" : ", group " + diskGroup)
                + (kind == Kind.SNAPCLONE ? ", " + mode + (quiesceThreshold == 0 ? "" : " M=" + quiesceThreshold) : "") + ", luns=" + Arrays.toString(lunIds) + "]";
    }
}

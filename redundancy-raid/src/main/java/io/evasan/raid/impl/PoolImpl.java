package io.evasan.raid.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.RaidStats;
import io.evasan.raid.drive.DriveLabel;
import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.drive.DriveState;
import io.evasan.raid.drive.QuorumArea;
import io.evasan.raid.drive.Drive;
import io.evasan.raid.drive.impl.FileDrive;
import io.evasan.raid.PoolIo;
import io.evasan.raid.io.AtomicFiles;
import io.evasan.raid.impl.PoolDiscovery.Found;
import io.evasan.raid.impl.PoolDiscovery.ListDrive;
import io.evasan.raid.rss.Rss;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A pool in a data directory. {@code <dir>/pool.list} records where the drives are (pool
 * UUID, groups, and per drive: group, index, drive UUID, RSS, slot, path), like an mdadm.conf;
 * the labels on the drives are authoritative: {@link #open} identifies drives by their labels
 * and rewrites a damaged or disagreeing pool.list from them.
 *
 * <p>Invariant: every drive opened as a member carries a label naming this pool's UUID.
 *
 * <p>Parts: {@link PoolDiscovery} finds the drives by their labels and settles pool.list at open; this class
 * creates and opens the pool and its groups, writes pool.list and the clean marker, and closes.
 */
public final class PoolImpl implements Pool {
    public static final String LIST_FILE = "pool.list";
    /** Present only while the pool is closed cleanly; missing at open = unclean shutdown. */
    public static final String CLEAN_FILE = "pool.clean";

    private final UUID id;
    private final Path dir;
    /** Copy-on-write: readers (API, quorum areas) may list groups while one is created. */
    private final List<DiskGroupImpl> groups = new java.util.concurrent.CopyOnWriteArrayList<>();
    private MeterRegistry registry;
    private final List<String> problems = new ArrayList<>();
    private final List<String> repairs = new ArrayList<>();
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(PoolImpl.class.getName());
    private volatile boolean closed;
    private boolean uncleanOpen;
    private PoolIo io = PoolIo.DEFAULT;

    private PoolImpl(UUID id, Path dir) {
        this.id = id;
        this.dir = dir;
    }

    public static boolean exists(Path dir) {
        return Files.exists(dir.resolve(LIST_FILE));
    }

    /** Checks a new drive: size, foreign label. Returns its capacity in bytes. Changes nothing. */
    static long validateNewDrive(Path path, long sizeBytes, UUID poolId) {
        long existing = -1;
        if (Files.exists(path)) {
            existing = FileDrive.sizeOf(path);
            DriveLabel l = existing >= DriveLabelDescriptor.LABEL_BYTES ? FileDrive.readLabel(path) : null;
            if (l != null && !l.isRemoved()) {
                if (poolId != null && l.poolId().equals(poolId)) {
                    throw new StorageException(ErrorCode.DUPLICATE_DRIVE, "drive " + path + " (" + l.driveId()
                            + ") is already a member of this pool");
                }
                throw new StorageException(ErrorCode.FOREIGN_POOL, "drive " + path + " carries a label of pool "
                        + l.poolId() + " (drive " + l.driveId() + "); refusing to overwrite it");
            }
        } else if (sizeBytes == 0) {
            throw new StorageException(ErrorCode.DRIVE_MISSING, "drive " + path + " does not exist and no size was given");
        }
        long size = Math.max(existing, sizeBytes);
        if (size < DriveLabelDescriptor.minimumDriveBytes()) {
            throw new StorageException(ErrorCode.DRIVE_TOO_SMALL, "drive " + path + " has " + size + " bytes; a drive needs"
                    + " at least " + DriveLabelDescriptor.minimumDriveBytes() + " (label + "
                    + DriveLabelDescriptor.QUORUM_BYTES + " quorum + PSEG table + one 2 MiB PSEG)");
        }
        return size;
    }

    static String key(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }

    public static PoolImpl create(Path dir, PoolSpec spec, MeterRegistry registry) {
        return create(dir, spec, registry, PoolIo.DEFAULT);
    }

    public static PoolImpl create(Path dir, PoolSpec spec, MeterRegistry registry, PoolIo io) {
        if (exists(dir)) {
            throw new StorageException(ErrorCode.ALREADY_EXISTS, "directory " + dir + " already holds a pool");
        }
        // validate everything before touching anything
        Set<String> names = new HashSet<>();
        Set<String> paths = new HashSet<>();
        List<Path> existing = new ArrayList<>();
        List<long[]> sizes = new ArrayList<>();
        for (GroupSpec g : spec.groups()) {
            if (!names.add(g.name())) {
                throw new StorageException(ErrorCode.ALREADY_EXISTS, "disk group name " + g.name() + " used twice");
            }
            if (g.drives().size() < Rss.MIN_DRIVES) {
                throw new StorageException(ErrorCode.INSUFFICIENT_DRIVES, "disk group " + g.name() + " has "
                        + g.drives().size() + " drives; at least " + Rss.MIN_DRIVES + " are needed for an RSS");
            }
            long[] sz = new long[g.drives().size()];
            for (int i = 0; i < sz.length; i++) {
                Path p = dir.resolve(g.drives().get(i).path());
                if (!paths.add(key(p))) {
                    throw new StorageException(ErrorCode.DUPLICATE_DRIVE, "drive " + p + " is listed twice");
                }
                if (Files.exists(p)) {
                    for (Path o : existing) {
                        try {
                            if (Files.isSameFile(o, p)) {
                                throw new StorageException(ErrorCode.DUPLICATE_DRIVE, "drives " + o + " and " + p
                                        + " are the same file");
                            }
                        } catch (IOException e) {
                            // cannot compare: the path check above stands
                        }
                    }
                    existing.add(p);
                }
                sz[i] = validateNewDrive(p, g.drives().get(i).sizeBytes(), null);
            }
            sizes.add(sz);
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot create " + dir + ": " + e.getMessage(), e);
        }
        PoolImpl pool = new PoolImpl(UUID.randomUUID(), dir);
        pool.io = io;
        pool.registry = registry;
        try {
            for (int gi = 0; gi < spec.groups().size(); gi++) {
                GroupSpec g = spec.groups().get(gi);
                pool.groups.add(pool.formatGroup(gi, g, sizes.get(gi)));
            }
            pool.writeList();
            return pool;
        } catch (IOException e) {
            pool.close();
            throw new StorageException(ErrorCode.IO_ERROR, "creating pool in " + dir + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /**
     * Opens the pool in {@code dir}. The drive labels are the authority: pool.list is a hint of
     * where the drives are. Every drive file it names, and every file in the directories holding
     * them (and {@code <dir>/drives}), is identified by its label (pool UUID, group, member index,
     * drive UUID); a label of this pool whose group pool.list names is a member wherever it is. A
     * damaged or disagreeing pool.list line is reported as {@code pool.list:LINE: what, the fix}
     * and, after a successful open, pool.list is rewritten from the labels (the old file kept as
     * {@code pool.list.bad}). Only what the labels cannot answer is an error, and it names the
     * file, the line, the text and what to do.
     */
    public static PoolImpl open(Path dir, MeterRegistry registry) {
        return open(dir, registry, PoolIo.DEFAULT);
    }

    public static PoolImpl open(Path dir, MeterRegistry registry, PoolIo io) {
        PoolDiscovery.Result discovered = PoolDiscovery.discover(dir);
        Path list = discovered.list();
        UUID poolId = discovered.poolId();
        TreeMap<Integer, String> groups = discovered.groups();
        TreeMap<Integer, TreeMap<Integer, Found>> members = discovered.members();
        TreeMap<Integer, TreeMap<Integer, ListDrive>> missing = discovered.missing();
        List<String> hints = discovered.hints();
        boolean clean;
        try {
            clean = Files.deleteIfExists(dir.resolve(CLEAN_FILE));
            syncDir(dir);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot update " + dir.resolve(CLEAN_FILE) + ": " + e.getMessage(), e);
        }
        PoolImpl pool = new PoolImpl(poolId, dir);
        pool.io = io;
        pool.registry = registry;
        pool.uncleanOpen = !clean;
        try {
            for (var ge : groups.entrySet()) {
                int gi = ge.getKey();
                TreeMap<Integer, Found> dl = members.getOrDefault(gi, new TreeMap<>());
                TreeMap<Integer, ListDrive> ml = missing.getOrDefault(gi, new TreeMap<>());
                String gname = ge.getValue();
                String labelName = dl.isEmpty() ? null : dl.firstEntry().getValue().label().groupName();
                if (labelName != null && !labelName.isEmpty() && !labelName.equals(gname)) {
                    if (gname != null) {
                        hints.add(LIST_FILE + " names group " + gi + " \"" + gname + "\" but its drives' labels say \""
                                + labelName + "\"; the labels win");
                    }
                    gname = labelName;
                }
                if (gname == null) {
                    gname = "group" + gi;
                }
                if (dl.isEmpty() && ml.isEmpty()) {
                    continue;
                }
                int max = Math.max(dl.isEmpty() ? 0 : dl.lastKey() + 1, ml.isEmpty() ? 0 : ml.lastKey() + 1);
                Drive[] ds = new Drive[max];
                RaidStats stats = new RaidStats(registry, gname);
                for (var de : dl.entrySet()) {
                    int idx = de.getKey();
                    Found x = de.getValue();
                    Drive d = io.drives().open(x.path(), idx, x.label(), (dr, c) -> stats.driveError());
                    if (d.isAvailable()) {
                        try {
                            String fixed = d.repairLabelCopies();
                            if (fixed != null) {
                                String msg = "group " + gname + " drive " + idx + " (" + x.path() + "): " + fixed;
                                LOG.warning(msg);
                                pool.repairs.add(msg);
                            }
                        } catch (StorageException e) {
                            LOG.warning("group " + gname + " drive " + idx + " (" + x.path() + "): label copies could not"
                                    + " be repaired: " + e.getMessage());
                        }
                    } else {
                        pool.problems.add("group " + gname + " drive " + idx + ": " + x.path() + " is " + d.state());
                    }
                    ds[idx] = d;
                }
                for (var me : ml.entrySet()) {
                    int idx = me.getKey();
                    ListDrive f = me.getValue();
                    Path p = dir.resolve(f.path());
                    DriveLabel expected = new DriveLabel(0, poolId, f.driveId(), gi, gname, idx, f.rss(), f.slot(), 0, 0, 0);
                    String why = !Files.exists(p) ? "is MISSING" : "carries no label of drive " + f.driveId()
                            + " (no file with that label found either); treated as missing";
                    pool.problems.add("group " + gname + " drive " + idx + ": " + p + " " + why);
                    ds[idx] = io.drives().missing(p, idx, expected, (dr, c) -> stats.driveError());
                }
                pool.groups.add(new DiskGroupImpl(poolId, gi, gname, ds, pool.owner(), stats, !clean));
            }
        } catch (RuntimeException e) {
            for (DiskGroupImpl g : pool.groups) {
                g.close();
            }
            throw e;
        }
        if (!hints.isEmpty()) {
            try {
                Files.copy(list, dir.resolve(LIST_FILE + ".bad"), StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                LOG.warning("cannot keep a copy of the damaged " + list + ": " + e.getMessage());
            }
            pool.writeList();
            for (String h : hints) {
                String msg = h + " [" + LIST_FILE + " rewritten from the drive labels; the old file is "
                        + LIST_FILE + ".bad]";
                LOG.warning(msg);
                pool.repairs.add(msg);
            }
        }
        if (!clean) {
            // a write in flight at the crash may have reached only some members: make them agree
            for (DiskGroupImpl g : pool.groups) {
                g.resync();
            }
        }
        return pool;
    }

    /** What opening repaired (pool.list lines settled by the labels, label copies rewritten), one line each. */
    public List<String> repairs() {
        return List.copyOf(repairs);
    }

    /**
     * Formats the drives of group {@code g} (sizes already validated) as group {@code gi} and builds it.
     * RSS formation: order drives by capacity so RAID1 pairs (slots 2k, 2k+1) match, then cut into
     * ceil(n / 12) RSSs of near-equal size (each >= 6). On failure the drives formatted so far are closed.
     */
    private DiskGroupImpl formatGroup(int gi, GroupSpec g, long[] sz) throws IOException {
        int n = sz.length;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingLong((Integer i) -> sz[i]).thenComparingInt(i -> i));
        int k = (n + Rss.MAX_DRIVES - 1) / Rss.MAX_DRIVES;
        int[] rssOf = new int[n];
        int[] slotOf = new int[n];
        int pos = 0;
        for (int r = 0; r < k; r++) {
            int size = n / k + (r < n % k ? 1 : 0);
            for (int s = 0; s < size; s++) {
                rssOf[order.get(pos)] = r;
                slotOf[order.get(pos)] = s;
                pos++;
            }
        }
        Drive[] ds = new Drive[n];
        RaidStats stats = new RaidStats(registry, g.name());
        try {
            for (int i = 0; i < n; i++) {
                DriveSpec d = g.drives().get(i);
                Path p = dir.resolve(d.path());
                Files.createDirectories(p.toAbsolutePath().getParent());
                DriveLabel l = new DriveLabel(1, id, UUID.randomUUID(), gi, g.name(), i, rssOf[i], slotOf[i], sz[i],
                        DriveLabelDescriptor.psegCount(sz[i]), 0);
                ds[i] = io.drives().format(p, i, d.sizeBytes(), l, (dr, c) -> stats.driveError());
            }
        } catch (IOException | RuntimeException e) {
            for (Drive d : ds) {
                if (d != null) {
                    d.close();
                }
            }
            throw e;
        }
        return new DiskGroupImpl(id, gi, g.name(), ds, owner(), stats);
    }

    @Override
    public synchronized DiskGroup createDiskGroup(GroupSpec g) {
        if (closed) {
            throw new StorageException(ErrorCode.INVALID_STATE, "pool " + id + " is closed");
        }
        int gi = 0;
        Set<java.util.UUID> members = new HashSet<>();
        for (DiskGroupImpl e : groups) {
            if (e.name().equals(g.name())) {
                throw new StorageException(ErrorCode.ALREADY_EXISTS, "disk group " + g.name() + " already exists");
            }
            gi = Math.max(gi, e.id() + 1);
            for (Drive d : e.driveArray()) {
                if (d != null && d.label() != null) {
                    members.add(d.label().driveId());
                }
            }
        }
        if (g.drives().size() < Rss.MIN_DRIVES) {
            throw new StorageException(ErrorCode.INSUFFICIENT_DRIVES, "disk group " + g.name() + " has "
                    + g.drives().size() + " drives; at least " + Rss.MIN_DRIVES + " are needed for an RSS");
        }
        Set<String> paths = new HashSet<>();
        long[] sz = new long[g.drives().size()];
        DiskGroupImpl.Owner owner = owner();
        for (int i = 0; i < sz.length; i++) {
            DriveSpec d = g.drives().get(i);
            Path p = dir.resolve(d.path());
            if (!paths.add(key(p))) {
                throw new StorageException(ErrorCode.DUPLICATE_DRIVE, "drive " + p + " is listed twice");
            }
            owner.checkNewDrive(p);
            sz[i] = validateGroupDrive(p, d.sizeBytes(), members);
        }
        DiskGroupImpl created;
        try {
            created = formatGroup(gi, g, sz);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "creating disk group " + g.name() + " failed: " + e.getMessage(), e);
        }
        groups.add(created);
        try {
            writeList();   // the commit: until pool.list names the group, no open sees it
        } catch (RuntimeException e) {
            groups.remove(created);
            created.close();
            throw e;
        }
        return created;
    }

    /**
     * {@link #validateNewDrive} for a drive of a new group, except that a file labelled for this pool
     * whose drive id no group names is accepted: it is left over from a {@code createDiskGroup} that a
     * crash interrupted before its commit, and is formatted again.
     */
    private long validateGroupDrive(Path path, long sizeBytes, Set<UUID> members) {
        if (Files.exists(path) && FileDrive.sizeOf(path) >= DriveLabelDescriptor.LABEL_BYTES) {
            DriveLabel l = FileDrive.readLabel(path);
            if (l != null && !l.isRemoved() && l.poolId().equals(id) && !members.contains(l.driveId())) {
                long size = Math.max(FileDrive.sizeOf(path), sizeBytes);
                if (size < DriveLabelDescriptor.minimumDriveBytes()) {
                    throw new StorageException(ErrorCode.DRIVE_TOO_SMALL, "drive " + path + " has " + size + " bytes");
                }
                return size;
            }
        }
        return validateNewDrive(path, sizeBytes, id);
    }

    private DiskGroupImpl.Owner owner() {
        return new DiskGroupImpl.Owner() {
            @Override
            public void membershipChanged() {
                writeList();
            }

            @Override
            public Path resolve(Path p) {
                return dir.resolve(p);
            }

            @Override
            public PoolIo io() {
                return io;
            }

            @Override
            public void checkNewDrive(Path resolved) {
                for (DiskGroupImpl g : groups) {
                    for (Drive d : g.driveArray()) {
                        if (d == null || d.state() == DriveState.REMOVED) {
                            continue;
                        }
                        boolean same = key(d.path()).equals(key(resolved));
                        try {
                            same |= Files.exists(resolved) && Files.exists(d.path()) && Files.isSameFile(d.path(), resolved);
                        } catch (IOException e) {
                            // path comparison stands
                        }
                        if (same) {
                            throw new StorageException(ErrorCode.DUPLICATE_DRIVE, "drive " + resolved
                                    + " is already drive " + d.index() + " of disk group " + g.name());
                        }
                    }
                }
            }
        };
    }

    private synchronized void writeList() {
        StringBuilder b = new StringBuilder();
        b.append("# evasan pool: where the drives are. The drive labels are authoritative.\n");
        b.append("# drive <group> <index> <drive uuid> <rss> <slot> <path>\n");
        b.append("pool ").append(id).append('\n');
        for (DiskGroupImpl g : groups) {
            b.append("group ").append(g.id()).append(' ').append(g.name()).append('\n');
        }
        for (DiskGroupImpl g : groups) {
            for (Drive d : g.driveArray()) {
                if (d == null || d.state() == DriveState.REMOVED || d.label() == null) {
                    continue;
                }
                int[] rs = g.rssOf(d.index());
                // drives inside the pool directory are recorded relative to it, so the directory can move
                Path abs = d.path().toAbsolutePath().normalize();
                Path base = dir.toAbsolutePath().normalize();
                Path shown = abs.startsWith(base) ? base.relativize(abs) : abs;
                b.append("drive ").append(g.id()).append(' ').append(d.index()).append(' ').append(d.label().driveId())
                        .append(' ').append(rs[0]).append(' ').append(rs[1]).append(' ')
                        .append(shown).append('\n');
            }
        }
        try {
            AtomicFiles.replace(io.files(), dir.resolve(LIST_FILE), b.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot write " + dir.resolve(LIST_FILE) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public UUID id() {
        return id;
    }

    @Override
    public List<DiskGroupImpl> diskGroups() {
        return List.copyOf(groups);
    }

    @Override
    public DiskGroup diskGroup(int groupId) {
        for (DiskGroupImpl g : groups) {
            if (g.id() == groupId) {
                return g;
            }
        }
        throw new StorageException(ErrorCode.NOT_FOUND, "pool " + id + " has no disk group " + groupId);
    }

    @Override
    public List<QuorumArea> quorumAreas() {
        List<QuorumArea> out = new ArrayList<>();
        for (DiskGroupImpl g : groups) {
            for (Drive d : g.driveArray()) {
                if (d != null && d.isAvailable()) {
                    out.add(d.quorumArea());
                }
            }
        }
        return out;
    }

    @Override
    public Path directory() {
        return dir;
    }

    @Override
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append("pool ").append(id).append(" in ").append(dir.toAbsolutePath()).append('\n');
        for (DiskGroupImpl g : groups) {
            b.append(g.describe());
        }
        for (String p : problems) {
            b.append("problem: ").append(p).append('\n');
        }
        for (String r : repairs) {
            b.append("repaired at open: ").append(r).append('\n');
        }
        return b.toString();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        boolean clean = true;
        for (DiskGroupImpl g : groups) {
            try {
                g.flush();
            } catch (StorageException e) {
                clean = false;
            }
        }
        for (DiskGroupImpl g : groups) {
            g.close();
            clean &= !g.resyncPending();
        }
        if (clean) {
            try {
                Files.write(dir.resolve(CLEAN_FILE), new byte[0]);
                syncDir(dir);
            } catch (IOException e) {
                // next open resyncs: safe
            }
        }
    }

    /** True if this open found no clean-shutdown marker (a resync was started). */
    public boolean wasUnclean() {
        return uncleanOpen;
    }

    private static void syncDir(Path dir) {
        try (var ch = java.nio.channels.FileChannel.open(dir, java.nio.file.StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // directories cannot be opened for sync on every platform; the marker is advisory
        }
    }
}

package io.evasan.mapping.support;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.Pool;
import io.evasan.raid.drive.QuorumArea;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Test implementation of the RAID contracts on sparse files: per disk group one data file
 * (RStore slot i at i x 8 MB) and one allocation file (one byte per slot: 0 free, 1 + level
 * ordinal allocated, 0x80 bit = was used before and must be zeroed on reuse); per "drive" one
 * quorum file. Allocation and free are written (pwrite) before they return, so they survive
 * kill -9, as the DiskGroup contract asks. Capacity is counted in PSEGs per group.
 */
public final class FilePool {
    private final Path dir;
    private final List<Group> groups = new ArrayList<>();
    private final List<DiskGroup> groupProxies = new ArrayList<>();
    private final Pool poolProxy;
    private final List<QuorumArea> quorum = new ArrayList<>();
    private final List<FileChannel> channels = new ArrayList<>();

    /** Opens or creates a pool of {@code groupCount} groups of {@code psegsPerGroup} PSEGs and {@code drives} quorum areas. */
    public FilePool(Path dir, int groupCount, long psegsPerGroup, int drives, long quorumBytes) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
            for (int g = 0; g < groupCount; g++) {
                Group gr = new Group(g, psegsPerGroup);
                groups.add(gr);
                groupProxies.add(Proxies.implement(DiskGroup.class, gr));
            }
            for (int d = 0; d < drives; d++) {
                quorum.add(new FileQuorum(dir.resolve("quorum-" + d), quorumBytes));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        poolProxy = Proxies.implement(Pool.class, this);
    }

    /** This test pool as the RAID layer's Pool interface. */
    public Pool asPool() {
        return poolProxy;
    }

    public Path directory() {
        return dir;
    }

    public String describe() {
        return "FilePool " + dir;
    }

    public static FilePool small(Path dir) {
        return new FilePool(dir, 2, 4096, 4, 256 << 10);
    }

    public Path dir() {
        return dir;
    }

    public UUID id() {
        return UUID.nameUUIDFromBytes(dir.toString().getBytes());
    }

    public List<? extends DiskGroup> diskGroups() {
        return groupProxies;
    }

    public DiskGroup diskGroup(int id) {
        if (id < 0 || id >= groups.size()) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no disk group " + id);
        }
        return groupProxies.get(id);
    }

    public Group group(int id) {
        return groups.get(id);
    }

    public List<QuorumArea> quorumAreas() {
        List<QuorumArea> l = new ArrayList<>();
        for (QuorumArea q : quorum) {
            if (q.isAvailable()) {
                l.add(q);
            }
        }
        return l;
    }

    public FileQuorum quorum(int i) {
        return (FileQuorum) quorum.get(i);
    }

    public void close() {
        for (FileChannel c : channels) {
            try {
                c.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private FileChannel open(Path p) throws IOException {
        FileChannel c = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        channels.add(c);
        return c;
    }

    static void readFully(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) {
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
                return;
            }
            pos += n;
        }
    }

    static void writeFully(FileChannel ch, ByteBuffer src, long pos) throws IOException {
        while (src.hasRemaining()) {
            pos += ch.write(src, pos);
        }
    }

    /** A disk group on two files. */
    public final class Group {
        private final int id;
        private final long totalPsegs;
        private final FileChannel data;
        private final FileChannel alloc;
        private final int maxSlots;
        private final byte[] table;
        private long usedPsegs;
        private final ConcurrentHashMap<Long, Store> stores = new ConcurrentHashMap<>();
        public volatile long allocateDelayNanos;

        Group(int id, long totalPsegs) throws IOException {
            this.id = id;
            this.totalPsegs = totalPsegs;
            this.maxSlots = (int) (totalPsegs / 4);
            this.data = open(dir.resolve("group-" + id + ".data"));
            this.alloc = open(dir.resolve("group-" + id + ".alloc"));
            this.table = new byte[maxSlots];
            ByteBuffer b = ByteBuffer.wrap(table);
            readFully(alloc, b, 0);
            for (int i = 0; i < maxSlots; i++) {
                int v = table[i] & 0x7F;
                if (v != 0) {
                    RaidLevel l = RaidLevel.values()[v - 1];
                    usedPsegs += l.totalPsegs();
                    stores.put((long) i + 1, new Store(i + 1, l));
                }
            }
        }

        public int id() {
            return id;
        }

        public String name() {
            return "dg" + id;
        }

        public synchronized RStore allocate(RaidLevel level) {
            if (usedPsegs + level.totalPsegs() > totalPsegs) {
                throw new StorageException(ErrorCode.SPACE_ALLOCATION_FAILED, "disk group " + id + ": "
                        + (totalPsegs - usedPsegs) + " free PSEGs, " + level + " needs " + level.totalPsegs());
            }
            for (int i = 0; i < maxSlots; i++) {
                if ((table[i] & 0x7F) == 0) {
                    try {
                        if ((table[i] & 0x80) != 0) {
                            ByteBuffer z = ByteBuffer.allocate(1 << 20);
                            for (int k = 0; k < 8; k++) {
                                z.clear();
                                writeFully(data, z, (long) i * RStore.SIZE_BYTES + ((long) k << 20));
                            }
                        }
                        table[i] = (byte) (0x80 | (level.ordinal() + 1));
                        writeFully(alloc, ByteBuffer.wrap(table, i, 1), i);
                    } catch (IOException e) {
                        throw new StorageException(ErrorCode.IO_ERROR, e.toString(), e);
                    }
                    usedPsegs += level.totalPsegs();
                    Store s = new Store(i + 1, level);
                    stores.put((long) i + 1, s);
                    return s;
                }
            }
            throw new StorageException(ErrorCode.SPACE_ALLOCATION_FAILED, "disk group " + id + ": no slot");
        }

        public RStore rstore(long rsdId) {
            Store s = stores.get(rsdId);
            if (s == null) {
                throw new StorageException(ErrorCode.NOT_FOUND, "no RStore " + rsdId + " in group " + id);
            }
            return s;
        }

        public synchronized void free(long rsdId) {
            Store s = stores.remove(rsdId);
            if (s == null) {
                throw new StorageException(ErrorCode.NOT_FOUND, "no RStore " + rsdId + " in group " + id);
            }
            int i = (int) rsdId - 1;
            table[i] = (byte) 0x80;
            try {
                writeFully(alloc, ByteBuffer.wrap(table, i, 1), i);
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, e.toString(), e);
            }
            usedPsegs -= s.level.totalPsegs();
        }

        public void flush() {
            try {
                data.force(false);
                alloc.force(false);
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, e.toString(), e);
            }
        }

        public synchronized long freePsegs() {
            return totalPsegs - usedPsegs;
        }

        public long totalPsegs() {
            return totalPsegs;
        }

        /** Number of allocated RStores (leak checks). */
        public int rstoreCount() {
            return stores.size();
        }

        /** Ids of every live RStore, ascending. */
        public List<Long> rsdIds() {
            List<Long> l = new ArrayList<>(stores.keySet());
            l.sort(null);
            return l;
        }

        final class Store implements RStore {
            final long rsdId;
            final RaidLevel level;

            Store(long rsdId, RaidLevel level) {
                this.rsdId = rsdId;
                this.level = level;
            }

            @Override
            public long rsdId() {
                return rsdId;
            }

            @Override
            public RaidLevel level() {
                return level;
            }

            /** One file, no members: nothing is ever lost. */
            @Override
            public List<long[]> lostRanges() {
                return List.of();
            }

            private long base(long offset, int len) {
                if (offset < 0 || offset % SECTOR != 0 || len % SECTOR != 0 || offset + len > SIZE_BYTES) {
                    throw new StorageException(ErrorCode.UNALIGNED_IO, "bad RStore access " + offset + "+" + len);
                }
                if (!stores.containsKey(rsdId)) {
                    throw new StorageException(ErrorCode.NOT_FOUND, "RStore " + rsdId + " was freed");
                }
                return (rsdId - 1) * SIZE_BYTES + offset;
            }

            @Override
            public void read(long offset, ByteBuffer dst) {
                long p = base(offset, dst.remaining());
                try {
                    readFully(data, dst, p);
                } catch (IOException e) {
                    throw new StorageException(ErrorCode.IO_ERROR, e.toString(), e);
                }
            }

            @Override
            public void write(long offset, ByteBuffer src) {
                long p = base(offset, src.remaining());
                try {
                    writeFully(data, src, p);
                } catch (IOException e) {
                    throw new StorageException(ErrorCode.IO_ERROR, e.toString(), e);
                }
            }

            @Override
            public void force() {   // one data file holds every RStore: the group's flush is this store's force
                flush();
            }
        }
    }

    /** A quorum area on a file. */
    public final class FileQuorum implements QuorumArea {
        private final FileChannel ch;
        private final long size;
        private final UUID uuid;
        public volatile boolean available = true;

        FileQuorum(Path p, long size) throws IOException {
            this.ch = open(p);
            this.size = size;
            this.uuid = UUID.nameUUIDFromBytes(p.toString().getBytes());
        }

        @Override
        public UUID driveId() {
            return uuid;
        }

        @Override
        public long sizeBytes() {
            return size;
        }

        @Override
        public boolean isAvailable() {
            return available;
        }

        @Override
        public void read(long offset, ByteBuffer dst) {
            try {
                readFully(ch, dst, offset);
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, e.toString(), e);
            }
        }

        @Override
        public void write(long offset, ByteBuffer src) {
            try {
                writeFully(ch, src, offset);
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, e.toString(), e);
            }
        }

        @Override
        public void force() {
            try {
                ch.force(false);
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, e.toString(), e);
            }
        }

        /** Overwrites bytes with garbage. */
        public void corrupt(long off, int len) {
            byte[] g = new byte[len];
            for (int i = 0; i < len; i++) {
                g[i] = (byte) (0xA5 ^ i);
            }
            write(off, ByteBuffer.wrap(g));
        }
    }
}

package io.evasan.deploy;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cell.pair.PairOptions;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.Pool;
import io.evasan.raid.drive.DriveInfo;
import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.drive.QuorumArea;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The clustered cell's quorum lease areas, reachable without opening the pool: a process that is not the leader
 * has no pool open, yet must watch and claim the lease on the same drives, at the same places, as the leader.
 * The leader writes the list ({@code cell/lease-drives}: one "drive-uuid drive-file" line per area, in
 * {@link PairOptions#leaseAreas} order); any process opens those files' quorum areas from it.
 *
 * <p>Invariant: area {@code i} here is byte for byte the pool's lease area {@code i} (the drive file's quorum area
 * at {@link DriveLabelDescriptor#QUORUM_OFFSET}), so a lease claimed through either is seen through the other.
 */
final class QuorumFiles implements AutoCloseable {
    static final String FILE = "lease-drives";

    private final List<FileChannel> channels = new ArrayList<>();
    private final List<QuorumArea> areas = new ArrayList<>();

    /** Records the pool's lease areas under {@code cellDir} (atomically: a reader sees the old or the new list). */
    static void write(Path cellDir, Pool pool) {
        Map<UUID, Path> files = new HashMap<>();
        for (DiskGroup g : pool.diskGroups()) {
            for (DriveInfo d : g.drives()) {
                files.put(d.driveId(), d.path().toAbsolutePath());
            }
        }
        StringBuilder b = new StringBuilder();
        for (QuorumArea a : PairOptions.leaseAreas(pool)) {
            Path f = files.get(a.driveId());
            if (f == null) {
                throw new StorageException(ErrorCode.INVALID_STATE, "lease area on drive " + a.driveId()
                        + " belongs to no disk group");
            }
            b.append(a.driveId()).append(' ').append(f).append('\n');
        }
        try {
            Files.createDirectories(cellDir);
            Path tmp = cellDir.resolve(FILE + ".tmp");
            Files.writeString(tmp, b.toString(), StandardCharsets.UTF_8);
            try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                c.force(true);
            }
            Files.move(tmp, cellDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot record the lease areas in " + cellDir + ": "
                    + e.getMessage(), e);
        }
    }

    static boolean exists(Path cellDir) {
        return Files.exists(cellDir.resolve(FILE));
    }

    /** Opens the quorum areas listed under {@code cellDir}. */
    static QuorumFiles open(Path cellDir) {
        QuorumFiles q = new QuorumFiles();
        try {
            for (String line : Files.readAllLines(cellDir.resolve(FILE), StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                int sp = line.indexOf(' ');
                UUID id = UUID.fromString(line.substring(0, sp));
                FileChannel c = FileChannel.open(Path.of(line.substring(sp + 1)), StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
                q.channels.add(c);
                q.areas.add(new Area(id, c));
            }
        } catch (IOException | RuntimeException e) {
            q.close();
            throw new StorageException(ErrorCode.IO_ERROR, "cannot open the lease areas listed in "
                    + cellDir.resolve(FILE) + ": " + e.getMessage(), e);
        }
        return q;
    }

    List<QuorumArea> areas() {
        return areas;
    }

    @Override
    public void close() {
        for (FileChannel c : channels) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    /** One drive file's quorum area. */
    private record Area(UUID driveId, FileChannel channel) implements QuorumArea {
        @Override
        public long sizeBytes() {
            return DriveLabelDescriptor.QUORUM_BYTES;
        }

        @Override
        public boolean isAvailable() {
            return channel.isOpen();
        }

        @Override
        public void read(long offset, ByteBuffer dst) {
            check(offset, dst.remaining());
            try {
                long pos = DriveLabelDescriptor.QUORUM_OFFSET + offset;
                while (dst.hasRemaining()) {
                    int n = channel.read(dst, pos);
                    if (n < 0) {
                        throw new StorageException(ErrorCode.IO_ERROR, "short read of the quorum area of " + driveId);
                    }
                    pos += n;
                }
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, "quorum area of " + driveId + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void write(long offset, ByteBuffer src) {
            check(offset, src.remaining());
            try {
                long pos = DriveLabelDescriptor.QUORUM_OFFSET + offset;
                while (src.hasRemaining()) {
                    pos += channel.write(src, pos);
                }
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, "quorum area of " + driveId + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void force() {
            try {
                channel.force(false);
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, "quorum area of " + driveId + ": " + e.getMessage(), e);
            }
        }

        private void check(long offset, int length) {
            if (offset < 0 || offset + length > DriveLabelDescriptor.QUORUM_BYTES) {
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, "quorum area range " + offset + "+" + length
                        + " outside " + DriveLabelDescriptor.QUORUM_BYTES + " bytes");
            }
        }
    }
}

package io.evasan.raid.drive.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.drive.Drive;
import io.evasan.raid.drive.DriveLabel;
import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.drive.DriveState;
import io.evasan.raid.drive.QuorumArea;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * A physical drive backed by a (sparse) file or a block device, addressed with positional
 * I/O in 512-byte sectors.
 *
 * <p>Invariants: I/O is accepted only in state {@link DriveState#AVAILABLE}; a failed drive
 * throws {@code DRIVE_FAILED}, a pulled one {@code DRIVE_MISSING}, for every I/O. An
 * {@link IOException} from the channel fails the drive. Thread-safe: positional I/O needs no
 * lock; state changes are volatile.
 */
public final class FileDrive implements Drive {

    private final Path path;
    private final int index;
    private volatile FileChannel channel;
    private volatile DriveState state;
    private volatile DriveLabel label;
    private final Drive.ErrorListener listener;
    private final QuorumArea quorum = new Quorum();

    private FileDrive(Path path, int index, FileChannel channel, DriveState state, DriveLabel label,
                      Drive.ErrorListener listener) {
        this.path = path;
        this.index = index;
        this.channel = channel;
        this.state = state;
        this.label = label;
        this.listener = listener;
    }

    /** Size of the file or device at {@code path} in bytes. */
    public static long sizeOf(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0 && !Files.isRegularFile(path)) {
                // a block device reports size 0 through fstat: ask sysfs (sectors of 512 bytes)
                Path real = path.toRealPath();
                Path sys = Path.of("/sys/class/block", real.getFileName().toString(), "size");
                if (Files.isReadable(sys)) {
                    size = Long.parseLong(Files.readString(sys).strip()) * 512;
                }
            }
            return size;
        } catch (NoSuchFileException e) {
            throw new StorageException(ErrorCode.DRIVE_MISSING, "drive " + path + " does not exist");
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot size drive " + path + ": " + e.getMessage(), e);
        }
    }

    /** Reads the valid label with the highest generation from {@code path}, or null if none. */
    public static DriveLabel readLabel(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return readLabel(ch);
        } catch (NoSuchFileException e) {
            throw new StorageException(ErrorCode.DRIVE_MISSING, "drive " + path + " does not exist");
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot read label of " + path + ": " + e.getMessage(), e);
        }
    }

    private static DriveLabel readLabel(FileChannel ch) throws IOException {
        DriveLabel best = null;
        for (long off : new long[] {DriveLabelDescriptor.COPY_A_OFFSET, DriveLabelDescriptor.COPY_B_OFFSET}) {
            ByteBuffer b = ByteBuffer.allocate(DriveLabelDescriptor.LABEL_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.size() < off + b.capacity()) {
                continue;
            }
            readFully(ch, b, off);
            DriveLabel l = DriveLabelDescriptor.decode(b);
            if (l != null && (best == null || l.generation() > best.generation())) {
                best = l;
            }
        }
        return best;
    }

    /**
     * Initialises a new drive: sizes the file (sparse) when {@code sizeBytes > 0}, writes both
     * label copies and clears the PSEG table. The caller has validated the size.
     */
    public static FileDrive format(Path path, int index, long sizeBytes, DriveLabel label, Drive.ErrorListener listener) {
        try {
            FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            try {
                if (sizeBytes > 0 && ch.size() < sizeBytes) {
                    // sparse: extend by writing the last byte
                    ch.write(ByteBuffer.wrap(new byte[1]), sizeBytes - 1);
                }
                ByteBuffer zero = ByteBuffer.allocate((int) DriveLabelDescriptor.MIB);
                long tableBytes = DriveLabelDescriptor.tableBytes(label.psegCount());
                for (long off = 0; off < tableBytes; off += zero.capacity()) {
                    zero.clear();
                    writeFully(ch, zero, DriveLabelDescriptor.PSEG_TABLE_OFFSET + off);
                }
                FileDrive d = new FileDrive(path, index, ch, DriveState.AVAILABLE, label, listener);
                d.writeLabel(label);
                ch.force(true);
                return d;
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot format drive " + path + ": " + e.getMessage(), e);
        }
    }

    /** Opens an existing labelled drive; a missing file yields a drive in state MISSING. */
    public static FileDrive open(Path path, int index, DriveLabel expected, Drive.ErrorListener listener) {
        if (!Files.exists(path)) {
            return new FileDrive(path, index, null, DriveState.MISSING, expected, listener);
        }
        try {
            FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            DriveLabel l = readLabel(ch);
            if (l != null && Files.isRegularFile(path) && ch.size() < l.capacity()) {
                ch.close();
                return new FileDrive(path, index, null, DriveState.FAILED, l, listener);
            }
            return new FileDrive(path, index, ch, DriveState.AVAILABLE, l != null ? l : expected, listener);
        } catch (IOException e) {
            return new FileDrive(path, index, null, DriveState.FAILED, expected, listener);
        }
    }

    /** A placeholder for a drive known from the pool list whose file is gone. */
    public static FileDrive missing(Path path, int index, DriveLabel expected, Drive.ErrorListener listener) {
        return new FileDrive(path, index, null, DriveState.MISSING, expected, listener);
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public DriveLabel label() {
        return label;
    }

    @Override
    public UUID driveId() {
        return label == null ? null : label.driveId();
    }

    @Override
    public DriveState state() {
        return state;
    }

    @Override
    public boolean isAvailable() {
        return state == DriveState.AVAILABLE;
    }

    @Override
    public QuorumArea quorumArea() {
        return quorum;
    }

    @Override
    /** Byte offset of PSEG {@code pseg}. */
    public long psegOffset(int pseg) {
        return label.psegOffset(pseg);
    }

    @Override
    /**
     * Rewrites a label copy (A at sector 0, B at byte 4096) that does not hold the drive's current
     * label (damaged: magic, version or CRC fail; or stale: lower generation) from the good copy.
     * Returns what was repaired ("label copy B (CRC failed) rewritten from copy A"), or null when
     * both copies were good. Only for a member drive whose identity the caller has checked.
     */
    public synchronized String repairLabelCopies() {
        FileChannel ch = check();
        DriveLabel good = label;
        StringBuilder done = new StringBuilder();
        String[] names = {"A", "B"};
        long[] offs = {DriveLabelDescriptor.COPY_A_OFFSET, DriveLabelDescriptor.COPY_B_OFFSET};
        try {
            for (int i = 0; i < 2; i++) {
                ByteBuffer b = ByteBuffer.allocate(DriveLabelDescriptor.LABEL_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                readFully(ch, b, offs[i]);
                DriveLabel l = DriveLabelDescriptor.decode(b);
                if (l != null && l.equals(good)) {
                    continue;
                }
                String why = l == null ? "damaged (magic, version or CRC32C fails)"
                        : l.generation() < good.generation() ? "stale (generation " + l.generation() + " < " + good.generation() + ")"
                        : "different from the current label";
                ByteBuffer w = ByteBuffer.allocate(DriveLabelDescriptor.LABEL_BYTES);
                DriveLabelDescriptor.encode(good, w);
                w.clear();
                writeFully(ch, w, offs[i]);
                done.append(done.length() == 0 ? "" : "; ").append("label copy ").append(names[i]).append(" was ")
                        .append(why).append(", rewritten from copy ").append(names[1 - i]);
            }
            if (done.length() > 0) {
                ch.force(false);
            }
        } catch (IOException e) {
            throw failed(e);
        }
        return done.length() == 0 ? null : done.toString();
    }

    @Override
    /** Writes a new label (both copies). */
    public void writeLabel(DriveLabel l) {
        ByteBuffer b = ByteBuffer.allocate(DriveLabelDescriptor.LABEL_BYTES);
        DriveLabelDescriptor.encode(l, b);
        b.clear();
        write(DriveLabelDescriptor.COPY_A_OFFSET, b);
        b.clear();
        write(DriveLabelDescriptor.COPY_B_OFFSET, b);
        force();
        this.label = l;
    }

    @Override
    /** Reads {@code dst.remaining()} bytes at absolute byte {@code pos}. */
    public void read(long pos, ByteBuffer dst) {
        FileChannel ch = check();
        try {
            readFully(ch, dst, pos);
        } catch (ClosedByInterruptException e) {
            throw interrupted(e);
        } catch (ClosedChannelException e) {
            throw gone(e);
        } catch (IOException e) {
            throw failed(e);
        }
    }

    @Override
    /** Writes {@code src.remaining()} bytes at absolute byte {@code pos}. */
    public void write(long pos, ByteBuffer src) {
        FileChannel ch = check();
        try {
            writeFully(ch, src, pos);
        } catch (ClosedByInterruptException e) {
            throw interrupted(e);
        } catch (ClosedChannelException e) {
            throw gone(e);
        } catch (IOException e) {
            throw failed(e);
        }
    }

    @Override
    public void force() {
        FileChannel ch = check();
        try {
            ch.force(false);
        } catch (ClosedByInterruptException e) {
            throw interrupted(e);
        } catch (ClosedChannelException e) {
            throw gone(e);
        } catch (IOException e) {
            throw failed(e);
        }
    }

    @Override
    /** Drill: fail the drive; every I/O throws DRIVE_FAILED until {@link #restore}. */
    public void fail() {
        if (state == DriveState.AVAILABLE) {
            state = DriveState.FAILED;
        }
    }

    @Override
    /** Drill: pull the drive (closes the file); every I/O throws DRIVE_MISSING until {@link #restore}. */
    public synchronized void pull() {
        state = DriveState.MISSING;
        closeChannel();
    }

    @Override
    /** Marks the drive removed and closes it. */
    public synchronized void markRemoved() {
        state = DriveState.REMOVED;
        closeChannel();
    }

    @Override
    /**
     * Re-adds the drive: reopens the file and checks that its label is the same drive of the
     * same pool. Returns the label read.
     */
    public synchronized DriveLabel restore(UUID poolId) {
        if (state == DriveState.AVAILABLE) {
            return label;
        }
        closeChannel();
        FileChannel ch;
        DriveLabel l;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            l = readLabel(ch);
        } catch (NoSuchFileException e) {
            throw new StorageException(ErrorCode.DRIVE_MISSING, "drive " + index + " (" + path + ") is still missing");
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "drive " + index + " (" + path + "): " + e.getMessage(), e);
        }
        String why = null;
        if (l == null) {
            why = "has no valid label";
        } else if (!l.poolId().equals(poolId)) {
            why = "belongs to pool " + l.poolId() + ", not " + poolId;
        } else if (label != null && !l.driveId().equals(label.driveId())) {
            why = "is drive " + l.driveId() + ", expected " + label.driveId();
        }
        if (why != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing to do
            }
            throw new StorageException(l != null && !l.poolId().equals(poolId) ? ErrorCode.FOREIGN_POOL
                    : ErrorCode.INVALID_STATE, "cannot re-add drive " + index + ": " + path + " " + why);
        }
        channel = ch;
        label = l;
        state = DriveState.AVAILABLE;
        return l;
    }

    @Override
    public synchronized void close() {
        closeChannel();
        if (state == DriveState.AVAILABLE) {
            state = DriveState.MISSING;
        }
    }

    private void closeChannel() {
        FileChannel ch = channel;
        channel = null;
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing a drive we give up on
            }
        }
    }

    private FileChannel check() {
        DriveState s = state;
        FileChannel ch = channel;
        if (s == DriveState.AVAILABLE && ch != null) {
            return ch;
        }
        if (s == DriveState.FAILED) {
            throw new StorageException(ErrorCode.DRIVE_FAILED, "drive " + index + " (" + path + ") has failed");
        }
        throw new StorageException(ErrorCode.DRIVE_MISSING, "drive " + index + " (" + path + ") is missing");
    }

    private StorageException gone(ClosedChannelException e) {
        if (state == DriveState.FAILED) {
            return new StorageException(ErrorCode.DRIVE_FAILED, "drive " + index + " (" + path + ") has failed", e);
        }
        return new StorageException(ErrorCode.DRIVE_MISSING, "drive " + index + " (" + path + ") is missing", e);
    }

    private StorageException failed(IOException e) {
        state = DriveState.FAILED;
        if (listener != null) {
            listener.driveError(this, e);
        }
        return new StorageException(ErrorCode.DRIVE_FAILED, "drive " + index + " (" + path + ") failed: "
                + e.getMessage(), e);
    }

    /** The JDK closes a channel when a thread blocked in I/O is interrupted: reopen it. */
    private synchronized StorageException interrupted(ClosedByInterruptException e) {
        if (state == DriveState.AVAILABLE) {
            try {
                channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (IOException io) {
                return failed(io);
            }
        }
        return new StorageException(ErrorCode.IO_ERROR, "I/O on drive " + index + " interrupted", e);
    }

    static void readFully(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
        long p = pos;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, p);
            if (n < 0) {
                // the file is shorter than its label says (truncated): never invent zeros
                throw new IOException("unexpected end of drive at byte " + p);
            }
            p += n;
        }
    }

    static void writeFully(FileChannel ch, ByteBuffer src, long pos) throws IOException {
        long p = pos;
        while (src.hasRemaining()) {
            p += ch.write(src, p);
        }
    }

    @Override
    public String toString() {
        return "drive " + index + " " + path + " " + state;
    }

    private final class Quorum implements QuorumArea {
        @Override
        public UUID driveId() {
            return label.driveId();
        }

        @Override
        public long sizeBytes() {
            return DriveLabelDescriptor.QUORUM_BYTES;
        }

        @Override
        public boolean isAvailable() {
            return FileDrive.this.isAvailable();
        }

        @Override
        public void read(long offset, ByteBuffer dst) {
            checkRange(offset, dst.remaining());
            FileDrive.this.read(DriveLabelDescriptor.QUORUM_OFFSET + offset, dst);
        }

        @Override
        public void write(long offset, ByteBuffer src) {
            checkRange(offset, src.remaining());
            FileDrive.this.write(DriveLabelDescriptor.QUORUM_OFFSET + offset, src);
        }

        @Override
        public void force() {
            FileDrive.this.force();
        }

        private void checkRange(long offset, int len) {
            if (offset % DriveLabelDescriptor.SECTOR_BYTES != 0 || len % DriveLabelDescriptor.SECTOR_BYTES != 0) {
                throw new StorageException(ErrorCode.UNALIGNED_IO, "quorum I/O at " + offset + " length " + len
                        + " is not 512-byte aligned");
            }
            if (offset < 0 || offset + len > DriveLabelDescriptor.QUORUM_BYTES) {
                throw new StorageException(ErrorCode.OUT_OF_RANGE, "quorum I/O at " + offset + " length " + len
                        + " outside the " + DriveLabelDescriptor.QUORUM_BYTES + "-byte quorum area");
            }
        }
    }
}

package io.evasan.mld;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.drive.QuorumArea;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/** Test quorum area: a sparse file; can be marked unavailable. */
final class FileQuorumArea implements QuorumArea {
    private final UUID id;
    private final FileChannel ch;
    private final long size;
    volatile boolean available = true;

    FileQuorumArea(Path file, long size) {
        try {
            this.ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (ch.size() < size) {
                ch.write(ByteBuffer.allocate(1), size - 1);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.size = size;
        this.id = UUID.nameUUIDFromBytes(file.toString().getBytes());
    }

    @Override
    public UUID driveId() {
        return id;
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
        check();
        try {
            while (dst.hasRemaining()) {
                if (ch.read(dst, offset + dst.position()) < 0) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, e.toString(), e);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        check();
        bytesWritten += src.remaining();
        try {
            long pos = offset;
            while (src.hasRemaining()) {
                pos += ch.write(src, pos);
            }
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, e.toString(), e);
        }
    }

    @Override
    public void force() {
        check();
        try {
            ch.force(false);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, e.toString(), e);
        }
    }

    private void check() {
        if (!available) {
            throw new StorageException(ErrorCode.DRIVE_FAILED, "drive " + id + " failed");
        }
    }

    /** Overwrites {@code len} bytes at {@code off} with garbage (bypassing availability). */
    void corrupt(long off, int len) {
        try {
            byte[] g = new byte[len];
            for (int i = 0; i < len; i++) {
                g[i] = (byte) (0x5A ^ i);
            }
            ch.write(ByteBuffer.wrap(g), off);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Flips every bit of the byte at {@code off} (bypassing availability). */
    void flip(long off) {
        try {
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, off);
            one.put(0, (byte) ~one.get(0)).clear();
            ch.write(one, off);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Overwrites {@code len} bytes at {@code off} with zeros (a sector never written). */
    void zero(long off, int len) {
        try {
            ch.write(ByteBuffer.allocate(len), off);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bytes passed to {@link #write} so far. */
    long bytesWritten;

    /** Writes {@code b} at {@code off} (bypassing availability and the counter). */
    void put(long off, byte[] b) {
        try {
            ch.write(ByteBuffer.wrap(b), off);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads {@code len} bytes at {@code off}. */
    byte[] bytes(long off, int len) {
        try {
            ByteBuffer b = ByteBuffer.allocate(len);
            ch.read(b, off);
            return b.array();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void close() throws IOException {
        ch.close();
    }
}

package io.evasan.nsc.cache.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.DestageTarget;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A durable file backend: LUN {@code n} is the sparse file {@code lun-n.img} in a directory. Used
 * by the non-volatile crash test and as the raw-throughput reference in the cache benchmark.
 *
 * <p>Invariants: a completed write is in the OS page cache (survives kill -9); {@link #flush}
 * forces it to the device (survives power loss); reads of never-written space return zeros.
 * Thread-safe (positional I/O).
 */
public final class FileDestageTarget implements DestageTarget, AutoCloseable {
    private final Path dir;
    private final Map<Integer, FileChannel> channels = new ConcurrentHashMap<>();
    private final Map<Integer, Long> sizes = new ConcurrentHashMap<>();

    public FileDestageTarget(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot create " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Path of a LUN's file. */
    public Path lunFile(int lunId) {
        return dir.resolve("lun-" + lunId + ".img");
    }

    /** Opens (creating if absent) a LUN of the given size; an existing file keeps its data. */
    public void openLun(int lunId, long sizeBytes) {
        if (sizeBytes <= 0 || sizeBytes % 512 != 0) {
            throw new IllegalArgumentException("LUN size " + sizeBytes);
        }
        try {
            FileChannel ch = FileChannel.open(lunFile(lunId), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            if (ch.size() < sizeBytes) {
                ch.write(ByteBuffer.allocate(1), sizeBytes - 1);
            }
            FileChannel old = channels.put(lunId, ch);
            if (old != null) {
                old.close();
            }
            sizes.put(lunId, sizeBytes);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot open " + lunFile(lunId) + ": " + e.getMessage(), e);
        }
    }

    private FileChannel ch(int lunId) {
        FileChannel c = channels.get(lunId);
        if (c == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "LUN " + lunId + " is not open");
        }
        return c;
    }

    @Override
    public long lunSizeBytes(int lunId) {
        Long s = sizes.get(lunId);
        if (s == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "LUN " + lunId + " is not open");
        }
        return s;
    }

    @Override
    public void write(int lunId, long byteOffset, ByteBuffer src) {
        FileChannel c = ch(lunId);
        try {
            long pos = byteOffset;
            while (src.hasRemaining()) {
                pos += c.write(src, pos);
            }
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "LUN " + lunId + " write at " + byteOffset + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void read(int lunId, long byteOffset, ByteBuffer dst) {
        FileChannel c = ch(lunId);
        try {
            long pos = byteOffset;
            while (dst.hasRemaining()) {
                int n = c.read(dst, pos);
                if (n < 0) {
                    while (dst.hasRemaining()) {
                        dst.put((byte) 0);
                    }
                    break;
                }
                pos += n;
            }
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "LUN " + lunId + " read at " + byteOffset + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void flush(int lunId) {
        try {
            ch(lunId).force(false);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "LUN " + lunId + " flush: " + e.getMessage(), e);
        }
    }

    @Override
    public void flushAll() {
        for (int lun : channels.keySet()) {
            flush(lun);
        }
    }

    @Override
    public void close() {
        for (FileChannel c : channels.values()) {
            try {
                c.close();
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, "close: " + e.getMessage(), e);
            }
        }
        channels.clear();
    }
}

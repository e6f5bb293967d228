package io.evasan.nsc.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The storage behind the write-back cache's NV log ({@link CacheConfig#nonVolatileLog}, kept by
 * {@code cache.impl.SegmentStore}): a file whose regions are mapped once at open and then written
 * in place, and a force (msync) of a byte range of one region. The default
 * is {@link #mapped(Path)} (a memory-mapped file); tests substitute a medium that simulates a
 * power cut (only forced ranges are durable). Hot path: the store calls only
 * {@link #force(ByteBuffer, int, int)}, one interface call per forced range, no allocation.
 */
public interface NvLogMedium extends AutoCloseable {

    /** Takes the exclusive lock for the medium's life; false if another holder has it. */
    boolean tryLock() throws IOException;

    long size() throws IOException;

    /** Positional read (used only at open, before mapping). */
    int read(ByteBuffer dst, long position) throws IOException;

    /** Positional write (used only at open, to extend the file). */
    int write(ByteBuffer src, long position) throws IOException;

    void truncate(long size) throws IOException;

    /** A read-write view of {@code [position, position+length)}; writes to it reach the medium (unforced). */
    ByteBuffer map(long position, int length) throws IOException;

    /**
     * Makes {@code [index, index+length)} of a region returned by {@link #map} durable before
     * returning (msync). Only what was forced is guaranteed to survive a power cut.
     */
    void force(ByteBuffer region, int index, int length);

    /** Forces a whole region. */
    default void force(ByteBuffer region) {
        force(region, 0, region.capacity());
    }

    @Override
    void close() throws IOException;

    /** Opens the medium of a log file; the default is {@link #mapped(Path)}. */
    @FunctionalInterface
    interface Opener {
        NvLogMedium open(Path file) throws IOException;
    }

    /** The default medium: the file, memory-mapped, forced with {@link MappedByteBuffer#force(int, int)}. */
    static NvLogMedium mapped(Path file) throws IOException {
        return new Mapped(FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE));
    }

    /** {@link #mapped} over a FileChannel. */
    final class Mapped implements NvLogMedium {
        private final FileChannel ch;

        Mapped(FileChannel ch) {
            this.ch = ch;
        }

        @Override
        public boolean tryLock() throws IOException {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            return lock != null;
        }

        @Override
        public long size() throws IOException {
            return ch.size();
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return ch.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            return ch.write(src, position);
        }

        @Override
        public void truncate(long size) throws IOException {
            ch.truncate(size);
        }

        @Override
        public ByteBuffer map(long position, int length) throws IOException {
            return ch.map(FileChannel.MapMode.READ_WRITE, position, length);
        }

        @Override
        public void force(ByteBuffer region, int index, int length) {
            ((MappedByteBuffer) region).force(index, length);
        }

        @Override
        public void force(ByteBuffer region) {
            ((MappedByteBuffer) region).force();
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}

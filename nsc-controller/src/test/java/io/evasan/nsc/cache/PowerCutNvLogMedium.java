package io.evasan.nsc.cache;

import io.evasan.raid.io.ChannelOpener;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The NV cache log ({@link NvLogMedium}) over a power-cut channel (the raid test-jar's {@code PowerCutChannel},
 * through its {@link ChannelOpener}), so that the log shares one power domain with the drives and the map
 * log. A mapped region is a heap copy of the file (the page cache): stores into it reach the channel only
 * when {@link #force} writes the forced range through it and forces it (msync), so a forced range is as
 * durable as the channel makes forced data (it may be cut, torn or dropped while the force is in progress),
 * and an unforced store is lost at a cut.
 *
 * <p>Not modelled: unforced stores that the kernel would have written back on its own before the cut
 * ({@code NvLogPowerCutTest} keeps or loses such sectors at random). An orderly {@link #close} writes every
 * region through (what a munmap and a clean close leave in the file).
 */
public final class PowerCutNvLogMedium implements NvLogMedium {
    private final FileChannel ch;
    /** Everything but the mapping goes to the file as the production medium does it. */
    private final NvLogMedium.Mapped file;
    private final Map<ByteBuffer, Long> regions = new IdentityHashMap<>();

    private PowerCutNvLogMedium(FileChannel ch) {
        this.ch = ch;
        this.file = new NvLogMedium.Mapped(ch);
    }

    /** An opener of log media over {@code files} (a power cut's {@code files()}). */
    public static Opener opener(ChannelOpener files) {
        return path -> new PowerCutNvLogMedium(files.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE));
    }

    @Override public boolean tryLock() throws IOException { return file.tryLock(); }
    @Override public long size() throws IOException { return file.size(); }
    @Override public int read(ByteBuffer dst, long position) throws IOException { return file.read(dst, position); }
    @Override public int write(ByteBuffer src, long position) throws IOException { return file.write(src, position); }
    @Override public void truncate(long size) throws IOException { file.truncate(size); }

    @Override
    public synchronized ByteBuffer map(long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                break;   // beyond the end: zeros, as a mapping of a sparse extension reads
            }
        }
        b.clear();
        regions.put(b, position);
        return b;
    }

    @Override
    public void force(ByteBuffer region, int index, int length) {
        long base;
        synchronized (this) {
            base = regions.get(region);
        }
        ByteBuffer part = region.duplicate().limit(index + length).position(index);
        try {
            while (part.hasRemaining()) {
                ch.write(part, base + part.position());
            }
            ch.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            for (Map.Entry<ByteBuffer, Long> e : regions.entrySet()) {
                ByteBuffer b = e.getKey().duplicate().clear();
                while (b.hasRemaining()) {
                    ch.write(b, e.getValue() + b.position());
                }
            }
        } finally {
            file.close();
        }
    }
}

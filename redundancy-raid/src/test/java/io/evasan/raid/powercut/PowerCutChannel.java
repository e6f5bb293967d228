package io.evasan.raid.powercut;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;

/**
 * A {@link FileChannel} over a real file whose writes since the last {@link #force} live in a
 * {@link VolatileLayer} (the page cache as a power cut sees it). Sizes and truncation are applied
 * at once (file metadata is not modelled); {@code map}, locks and transfers are not supported.
 */
public final class PowerCutChannel extends FileChannel {
    private final PowerCut power;
    private final Path path;
    private final FileChannel real;
    private final VolatileLayer layer;
    private long position;

    PowerCutChannel(PowerCut power, Path path, FileChannel real) {
        this.power = power;
        this.path = path;
        this.real = real;
        this.layer = new VolatileLayer(new VolatileLayer.Backing() {
            @Override
            public void read(long pos, ByteBuffer dst) {
                try {
                    while (dst.hasRemaining()) {
                        int n = real.read(dst, pos);
                        if (n < 0) {
                            // beyond the durable end: zeros (the layer overlays what was written)
                            while (dst.hasRemaining()) {
                                dst.put((byte) 0);
                            }
                            return;
                        }
                        pos += n;
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public void write(long pos, ByteBuffer src) {
                try {
                    while (src.hasRemaining()) {
                        pos += real.write(src, pos);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public void force() {
                try {
                    real.force(false);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        });
        power.register(layer, () -> {
            try {
                real.close();
            } catch (IOException ignored) {
                // gone
            }
        });
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int n = read(dst, position);
        if (n > 0) {
            position += n;
        }
        return n;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            int n = read(dsts[i]);
            if (n < 0) {
                return total == 0 ? -1 : total;
            }
            total += n;
        }
        return total;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int n = write(src, position);
        position += n;
        return n;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            total += write(srcs[i]);
        }
        return total;
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public FileChannel position(long newPosition) {
        position = newPosition;
        return this;
    }

    @Override
    public long size() throws IOException {
        synchronized (power) {
            power.checkOn("size of " + path);
            return Math.max(real.size(), layer.pendingEnd());
        }
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        synchronized (power) {
            power.tick("truncate of " + path);
            layer.truncate(size);
            if (real.size() > size) {
                real.truncate(size);
            }
            position = Math.min(position, size);
            return this;
        }
    }

    @Override
    public void force(boolean metaData) throws IOException {
        synchronized (power) {
            power.tick("force of " + path);
            layer.force();
        }
    }

    @Override
    public int read(ByteBuffer dst, long pos) throws IOException {
        synchronized (power) {
            power.checkOn("read of " + path);
            long size = size();
            if (pos >= size) {
                return -1;
            }
            int n = (int) Math.min(dst.remaining(), size - pos);
            ByteBuffer part = dst.slice(dst.position(), n);
            layer.read(pos, part);
            dst.position(dst.position() + n);
            return n;
        }
    }

    @Override
    public int write(ByteBuffer src, long pos) throws IOException {
        synchronized (power) {
            int n = src.remaining();
            power.tick("write of " + n + " bytes at " + pos + " of " + path);
            layer.write(pos, src);
            return n;
        }
    }

    /** Reads through {@link #read(ByteBuffer, long)}, so the volatile layer's bytes are what is sent. */
    @Override
    public long transferTo(long pos, long count, WritableByteChannel target) throws IOException {
        long done = 0;
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(count, 64 * 1024));
        while (done < count) {
            buf.clear().limit((int) Math.min(buf.capacity(), count - done));
            int n = read(buf, pos + done);
            if (n <= 0) {
                break;
            }
            buf.flip();
            while (buf.hasRemaining()) {
                target.write(buf);
            }
            done += n;
        }
        return done;
    }

    /** Writes through {@link #write(ByteBuffer, long)}: the bytes stay volatile until {@link #force}. */
    @Override
    public long transferFrom(ReadableByteChannel src, long pos, long count) throws IOException {
        long done = 0;
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(count, 64 * 1024));
        while (done < count) {
            buf.clear().limit((int) Math.min(buf.capacity(), count - done));
            int n = src.read(buf);
            if (n <= 0) {
                break;
            }
            buf.flip();
            while (buf.hasRemaining()) {
                done += write(buf, pos + done);
            }
        }
        return done;
    }

    /**
     * Refused on purpose: a mapped region writes to the page cache behind the volatile layer, so a
     * power cut could not drop or tear it. Mapped files have their own seam ({@code NvLogMedium} for
     * the NV cache log).
     */
    @Override
    public MappedByteBuffer map(MapMode mode, long pos, long size) {
        throw new UnsupportedOperationException("a mapped region would bypass the power-cut layer of " + path);
    }

    /** File locks do not depend on what is forced: the real file's lock. */
    @Override
    public FileLock lock(long pos, long size, boolean shared) throws IOException {
        return real.lock(pos, size, shared);
    }

    @Override
    public FileLock tryLock(long pos, long size, boolean shared) throws IOException {
        return real.tryLock(pos, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        synchronized (power) {
            if (!power.isCut()) {
                layer.force(); // an orderly close leaves the data in the page cache: kill -9 keeps it
            }
            real.close();
        }
    }
}

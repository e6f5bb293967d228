package io.evasan.iscsi.impl;

import io.evasan.iscsi.pdu.Digests;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.buffer.impl.BufferImpl;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.net.NetSocketInternal;

import java.util.ArrayList;
import java.util.function.Consumer;

import static io.evasan.iscsi.pdu.BhsDescriptor.*;

/**
 * Output batching of one {@link IscsiConnection}: the PDUs produced in one event-loop turn leave in
 * one socket write. Confined to the connection's event loop (no locks).
 *
 * <p>Invariants: every component of a batch is a <em>direct</em> buffer (pooled BHS buffers, the
 * Data-In payloads as they are, array data copied into pooled direct buffers, padding from a shared
 * direct buffer), so the batch goes to Netty unwrapped as one gathering write and Netty never copies
 * it; PDUs leave in the order they were appended (so StatSN order is send order); a command whose
 * Data-In buffer a batch references is handed back to the connection (recycled) only once that
 * batch is written; after {@link #discard()} nothing is written any more and every pooled header
 * still held has been released.
 */
final class PduOutput {
    private static final int MAX_COMPONENTS = 1024;

    /** Padding bytes (direct, never released). */
    private static final ByteBuf ZEROS = Unpooled.unreleasableBuffer(Unpooled.directBuffer(4, 4).writeZero(4));

    private final NetSocketInternal socket;
    private final Context ctx;
    private final Consumer<Command> recycler;
    private CompositeByteBuf pendingOut;
    private ArrayList<Command> pendingRecycle = new ArrayList<>();
    private boolean flushScheduled;
    private final Handler<Void> flushTask = v -> flush();
    /** Digests negotiated for the full feature phase (none during login). */
    private boolean headerDigest;
    private boolean dataDigest;
    private boolean closed;

    /**
     * @param recycler takes back a command once the batch referencing its Data-In buffer is written
     */
    PduOutput(NetSocketInternal socket, Context ctx, Consumer<Command> recycler) {
        this.socket = socket;
        this.ctx = ctx;
        this.recycler = recycler;
    }

    /** Digests for every PDU appended from now on (the full feature phase's). */
    void digests(boolean header, boolean data) {
        this.headerDigest = header;
        this.dataDigest = data;
    }

    boolean closed() {
        return closed;
    }

    /**
     * A zeroed BHS in a pooled <em>direct</em> buffer with room for the header digest and the data
     * digest (bytes LENGTH..+4 and LENGTH+4..+4). Every component of an output batch is direct, so the
     * socket write is a gathering write of the batch as it is; a single heap component would make Netty
     * copy the whole batch (Data-In payloads included) into a new direct buffer. The buffer is released
     * when the batch is written (or dropped when the connection closes).
     */
    static Buffer header(int opcode, int flags) {
        ByteBuf b = ByteBufAllocator.DEFAULT.directBuffer(LENGTH + 8, LENGTH + 8);
        b.setZero(0, LENGTH + 8);
        b.writerIndex(LENGTH);
        Buffer h = BufferInternal.buffer(b);
        h.setByte(OPCODE_OFFSET, (byte) opcode);
        h.setByte(FLAGS_OFFSET, (byte) flags);
        return h;
    }

    /**
     * The pooled buffer under a {@link #header} (Buffer.getByteBuf() would return an unreleasable
     * slice of it): the output batch takes over its reference.
     */
    private static ByteBuf raw(Buffer h) {
        return ((BufferImpl) h).byteBuf();
    }

    private CompositeByteBuf out() {
        if (pendingOut == null) {
            pendingOut = Unpooled.compositeBuffer(MAX_COMPONENTS);
        } else if (pendingOut.numComponents() > MAX_COMPONENTS - 16) {
            flush();
            pendingOut = Unpooled.compositeBuffer(MAX_COMPONENTS);
        }
        return pendingOut;
    }

    /**
     * Appends header (+digest), data, padding (+digest) to the batch; the (small) array data is copied
     * into a pooled direct buffer so that the batch stays all-direct (see {@link #header}).
     */
    void append(Buffer h, byte[] data, int off, int len) {
        ByteBuf d = null;
        if (len > 0) {
            d = ByteBufAllocator.DEFAULT.directBuffer(len, len);
            d.writeBytes(data, off, len);
        }
        append(h, d, len);
    }

    /** Appends header (+digest), data, padding (+digest) to the batch; the data is wrapped, not copied. */
    void append(Buffer h, ByteBuf data, int len) {
        CompositeByteBuf out = out();
        dataSegmentLength(h, 0, len);
        boolean hd = headerDigest;
        boolean dd = dataDigest;
        if (hd) {
            int crc = Digests.crc32c(h, 0, LENGTH, 0);
            h.setIntLE(LENGTH, crc);
        }
        ByteBuf hb = raw(h);
        out.addComponent(true, hb.slice(0, hd ? LENGTH + 4 : LENGTH));
        if (len > 0) {
            out.addComponent(true, data);
            int pad = padding(len);
            if (pad > 0) {
                out.addComponent(true, ZEROS.slice(0, pad));
            }
            if (dd) {
                int crc = Digests.crc32c(data.nioBuffer(data.readerIndex(), len), pad);
                hb.setIntLE(LENGTH + 4, crc);
                out.addComponent(true, hb.retainedSlice(LENGTH + 4, 4));
            }
        }
    }

    /** Appends one PDU and makes sure the batch is written at the end of this event-loop turn. */
    void send(Buffer h, byte[] data, int off, int len) {
        if (closed) {
            raw(h).release();
            return;
        }
        append(h, data, off, len);
        scheduleFlush();
    }

    /** {@code c} goes back to the connection once the current batch (which references its Data-In) is written. */
    void recycleAfterWrite(Command c) {
        pendingRecycle.add(c);
    }

    void scheduleFlush() {
        if (!flushScheduled) {
            flushScheduled = true;
            ctx.runOnContext(flushTask);
        }
    }

    /** Writes everything produced so far in one socket write; recycles the commands it carried. */
    void flush() {
        flushScheduled = false;
        CompositeByteBuf o = pendingOut;
        if (o == null) {
            return;
        }
        pendingOut = null;
        if (closed) {
            o.release();
            pendingRecycle.clear();
            return;
        }
        // handed to Netty as is (not through Buffer, whose getByteBuf() would wrap it unreleasable):
        // written with one gathering write and released (headers back to the pool) once written
        NetSocketInternal out = socket;
        if (pendingRecycle.isEmpty()) {
            out.writeMessage(o);
            return;
        }
        ArrayList<Command> done = pendingRecycle;
        pendingRecycle = new ArrayList<>();
        out.writeMessage(o).onComplete(ar -> {
            for (Command d : done) {
                recycler.accept(d);
            }
        });
    }

    /** The connection closed: output never written is dropped, its pooled headers go back now. */
    void discard() {
        closed = true;
        if (pendingOut != null) {
            pendingOut.release();
            pendingOut = null;
            pendingRecycle.clear();
        }
    }
}

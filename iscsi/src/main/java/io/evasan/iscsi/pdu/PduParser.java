package io.evasan.iscsi.pdu;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * Frames the iSCSI byte stream of one connection into PDUs (RFC 7143 section 11.2). Robust to any
 * fragmentation: bytes may arrive in chunks of any size. Never throws: framing problems are
 * reported to the {@link Handler}, and exceptions thrown by the handler itself are caught and
 * reported as {@link Handler#onHandlerFailure}. After a fatal framing error the parser discards
 * everything that follows (the connection is about to be closed).
 *
 * <p>Invariant: {@link Handler#onPdu} receives a PDU only when its header digest (when enabled)
 * matched; a data segment longer than {@link #maxDataSegmentLength} is skipped without being
 * buffered and reported through {@link Handler#onOversizedData}; a data digest mismatch is
 * reported through {@link Handler#onDataDigestError} with the PDU (whose data must not be used).
 */
public final class PduParser {

    /** Receives framed PDUs and framing errors; called on the feeding thread. */
    public interface Handler {
        void onPdu(Pdu pdu);

        /** A PDU whose data segment exceeded the limit; the PDU view has dataLength 0. */
        void onOversizedData(Pdu headerOnly, int announcedLength);

        void onDataDigestError(Pdu pdu);

        /** Unrecoverable framing error (header digest mismatch): the stream is out of sync. */
        void onFatal(String reason);

        /** The handler threw; the parser stops delivering. */
        void onHandlerFailure(Throwable t);

        /**
         * Where the data segment of an incomplete PDU should be placed as it arrives, instead of being
         * assembled in a parser buffer and copied out later. Called when the PDU's header (digest
         * checked) is here but not all of its data: {@code header} carries the BHS and AHS, and its
         * {@link Pdu#dataLength()} is the announced length although the data bytes are not there yet.
         * Returns a buffer whose {@code remaining()} equals that length, or null to assemble as usual.
         * The PDU is then delivered to {@link #onPdu} (or {@link #onDataDigestError}) with
         * {@link Pdu#isPlaced()} true and its data already in the returned buffer. Must not change
         * state: the PDU is delivered (and checked) later as usual.
         */
        default java.nio.ByteBuffer dataTarget(Pdu header) {
            return null;
        }
    }

    private final Handler handler;
    private final Pdu view = new Pdu();
    private boolean headerDigest;
    private boolean dataDigest;
    private int maxDataSegmentLength = 8192;
    private Buffer acc;
    private int pos;
    private boolean owned;
    /** Capacity of {@code acc} when owned (allocated here): appends within it never reallocate. */
    private int ownedCap;
    private long skip;
    private boolean dead;
    /** Data segment of the current PDU being placed into the handler's buffer (null when not placing). */
    private java.nio.ByteBuffer target;
    /** Header bytes (BHS, AHS, header digest) of the PDU being placed. */
    private Buffer placedHeader;
    private int placedAhs;
    private int placedDsl;
    /** Padding and data digest bytes of the PDU being placed: still to come, and collected so far. */
    private int tailLeft;
    private final byte[] tail = new byte[8];
    private int tailLen;

    public PduParser(Handler handler) {
        this.handler = handler;
    }

    public void headerDigest(boolean on) { this.headerDigest = on; }
    public void dataDigest(boolean on) { this.dataDigest = on; }
    public boolean headerDigest() { return headerDigest; }
    public boolean dataDigest() { return dataDigest; }

    /** The largest data segment accepted (our MaxRecvDataSegmentLength). */
    public void maxDataSegmentLength(int max) {
        if (max < 512 || max > BhsDescriptor.MAX_DSL) {
            throw new IllegalArgumentException("maxDataSegmentLength " + max);
        }
        this.maxDataSegmentLength = max;
    }

    /** Stops delivering; subsequent input is discarded. */
    public void kill() {
        dead = true;
        acc = null;
        target = null;
    }

    public boolean isDead() { return dead; }

    /**
     * True when part of a PDU has arrived and the rest has not (bytes kept, data being placed or
     * an oversized data segment being skipped); false at a PDU boundary or once dead.
     */
    public boolean midPdu() {
        return !dead && (skip > 0 || target != null || (acc != null && pos < acc.length()));
    }

    /**
     * Feeds the next chunk of the byte stream. Never throws. The chunk is only borrowed: PDU views
     * over it are valid during {@link Handler#onPdu} only, and the bytes of an incomplete PDU are
     * copied into a parser-owned buffer before this returns, so the caller may release (recycle)
     * the chunk's memory as soon as the call returns.
     */
    public void feed(Buffer chunk) {
        try {
            feed0(chunk);
        } catch (Throwable t) {
            // only reachable through a handler bug, report once and stop
            dead = true;
            acc = null;
            try {
                handler.onHandlerFailure(t);
            } catch (Throwable ignored) {
                // nothing more we can do
            }
        }
    }

    private void feed0(Buffer chunk) {
        if (dead || chunk == null) {
            return;
        }
        int start = 0;
        int end = chunk.length();
        while (!dead && start < end) {
            if (skip > 0) {
                int n = (int) Math.min(skip, end - start);
                skip -= n;
                start += n;
                continue;
            }
            if (target != null) {
                start = place(chunk, start, end - start);
                continue;
            }
            if (acc == null) {
                acc = start == 0 ? chunk : chunk.slice(start, end);
                pos = 0;
                owned = false;
                start = end;
            } else {
                // an incomplete PDU is kept: complete its header first (only that is copied), so that
                // its data segment can still be placed instead of being assembled here
                int rest = acc.length() - pos;
                int header = rest < BhsDescriptor.LENGTH ? BhsDescriptor.LENGTH : headerBytes(acc, pos);
                int add = rest < header ? Math.min(end - start, header - rest) : end - start;
                append(chunk, start, add);
                start += add;
            }
            frame();
        }
    }

    /** Appends chunk bytes to the kept (owned) bytes of an incomplete PDU. */
    private void append(Buffer chunk, int start, int add) {
        if (!owned || acc.length() + add > ownedCap) {
            // (re)allocate once, sized for the whole PDU being assembled when its header is here,
            // so that a large data segment arriving in many chunks is copied once, not regrown
            int rest = acc.length() - pos;
            own(Math.max(64, Math.max(rest + add, pduBytes(acc, pos, rest))));
        }
        acc.appendBuffer(chunk, start, add);
    }

    /** Moves the unconsumed bytes of {@code acc} into a new parser-owned buffer of {@code cap} bytes. */
    private void own(int cap) {
        int rest = acc.length() - pos;
        Buffer copy = Buffer.buffer(cap);
        copy.appendBuffer(acc, pos, rest);
        acc = copy;
        pos = 0;
        owned = true;
        ownedCap = cap;
    }

    /** Header bytes (BHS, AHS, header digest) of the PDU whose BHS is at {@code p}. */
    private int headerBytes(Buffer b, int p) {
        return BhsDescriptor.LENGTH + BhsDescriptor.totalAhsBytes(b, p) + (headerDigest ? 4 : 0);
    }

    /** Delivers the complete PDUs in {@code acc}; keeps (in a buffer of its own) the bytes of an incomplete one. */
    private void frame() {
        while (!dead && acc != null) {
            int avail = acc.length() - pos;
            if (avail < BhsDescriptor.LENGTH) {
                break;
            }
            int ahs = BhsDescriptor.totalAhsBytes(acc, pos);
            int dsl = BhsDescriptor.dataSegmentLength(acc, pos);
            int headerLen = headerBytes(acc, pos);
            if (avail < headerLen) {
                break;
            }
            if (headerDigest) {
                int expected = Digests.crc32c(acc, pos, BhsDescriptor.LENGTH + ahs, 0);
                if (Digests.readDigest(acc, pos + BhsDescriptor.LENGTH + ahs) != expected) {
                    dead = true;
                    acc = null;
                    handler.onFatal("header digest mismatch");
                    return;
                }
            }
            int padded = dsl + BhsDescriptor.padding(dsl);
            int dataTotal = dsl == 0 ? 0 : padded + (dataDigest ? 4 : 0);
            if (dsl > maxDataSegmentLength) {
                view(acc, pos, ahs, pos + headerLen, 0, owned, false);
                handler.onOversizedData(view, dsl);
                long remaining = (long) headerLen + dataTotal - avail;
                if (remaining > 0) {
                    skip = remaining;
                    acc = null;
                    return;
                }
                pos += headerLen + dataTotal;
                continue;
            }
            if (avail < headerLen + dataTotal) {
                if (dsl > 0 && startPlacing(ahs, dsl, headerLen, dataTotal)) {
                    place(acc, pos + headerLen, avail - headerLen);
                    pos = acc.length();
                }
                break;
            }
            view(acc, pos, ahs, pos + headerLen, dsl, owned, false);
            pos += headerLen + dataTotal;
            if (dataDigest && dsl > 0) {
                int expected = Digests.crc32c(acc, view.dataOffset, dsl, padded - dsl);
                if (Digests.readDigest(acc, view.dataOffset + padded) != expected) {
                    handler.onDataDigestError(view);
                    continue;
                }
            }
            handler.onPdu(view);
        }
        if (acc != null) {
            if (pos >= acc.length()) {
                acc = null;
                pos = 0;
            } else if (!owned || (pos > 0 && pos > (acc.length() >>> 1))) {
                // keep the rest in a buffer of our own: the caller recycles the chunk after the call
                int rest = acc.length() - pos;
                own(Math.max(64, Math.max(rest, pduBytes(acc, pos, rest))));
            }
        }
    }

    private void view(Buffer b, int bhs, int ahs, int dataOffset, int dataLength, boolean owned, boolean placed) {
        view.buffer = b;
        view.bhs = bhs;
        view.ahsLength = ahs;
        view.dataOffset = dataOffset;
        view.dataLength = dataLength;
        view.owned = owned;
        view.placed = placed;
        view.placedData = null;
    }

    /** Asks the handler for a place for the data of the incomplete PDU at {@code pos}; true if placing. */
    private boolean startPlacing(int ahs, int dsl, int headerLen, int dataTotal) {
        view(acc, pos, ahs, pos + headerLen, dsl, false, false);
        java.nio.ByteBuffer t = handler.dataTarget(view);
        if (t == null) {
            return false;
        }
        if (t.remaining() != dsl) {
            throw new IllegalArgumentException("data target of " + t.remaining() + " bytes for " + dsl);
        }
        placedHeader = Buffer.buffer(headerLen);
        placedHeader.appendBuffer(acc, pos, headerLen);
        placedAhs = ahs;
        placedDsl = dsl;
        target = t;
        tailLeft = dataTotal - dsl;
        tailLen = 0;
        return true;
    }

    /**
     * Consumes up to {@code n} bytes of the PDU being placed from {@code b} at {@code off}: data into
     * the target, then padding and digest; delivers the PDU when complete. Returns the offset after
     * the bytes consumed.
     */
    private int place(Buffer b, int off, int n) {
        int data = Math.min(n, target.remaining());
        if (data > 0) {
            int lim = target.limit();
            target.limit(target.position() + data);
            ((BufferInternal) b).getByteBuf().getBytes(off, target);
            target.limit(lim);
            off += data;
            n -= data;
        }
        int t = Math.min(n, tailLeft);
        for (int i = 0; i < t; i++) {
            tail[tailLen++] = b.getByte(off + i);
        }
        off += t;
        tailLeft -= t;
        if (target.hasRemaining() || tailLeft > 0) {
            return off;
        }
        java.nio.ByteBuffer placed = target;
        target = null;
        placed.flip();
        placed.position(placed.limit() - placedDsl);
        view(placedHeader, 0, placedAhs, placedHeader.length(), placedDsl, true, true);
        view.placedData = placed;
        placedHeader = null;
        if (dataDigest) {
            int pad = BhsDescriptor.padding(placedDsl);
            int expected = Digests.crc32c(placed, pad);
            int got = (tail[pad] & 0xff) | (tail[pad + 1] & 0xff) << 8 | (tail[pad + 2] & 0xff) << 16 | (tail[pad + 3] & 0xff) << 24;
            if (got != expected) {
                handler.onDataDigestError(view);
                return off;
            }
        }
        handler.onPdu(view);
        return off;
    }

    /**
     * Bytes of the whole PDU starting at {@code p} (header, AHS, digests, padded data) when its BHS is
     * among the {@code avail} bytes there and its data segment is acceptable; 0 otherwise.
     */
    private int pduBytes(Buffer b, int p, int avail) {
        if (avail < BhsDescriptor.LENGTH) {
            return 0;
        }
        int dsl = BhsDescriptor.dataSegmentLength(b, p);
        if (dsl > maxDataSegmentLength) {
            return 0;
        }
        return headerBytes(b, p) + (dsl == 0 ? 0 : dsl + BhsDescriptor.padding(dsl) + (dataDigest ? 4 : 0));
    }
}

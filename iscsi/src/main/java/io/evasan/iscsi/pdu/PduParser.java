package io.evasan.iscsi.pdu;

import io.vertx.core.buffer.Buffer;

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
    }

    public boolean isDead() { return dead; }

    /** Feeds the next chunk of the byte stream. Never throws. */
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
        if (dead || chunk == null || chunk.length() == 0) {
            return;
        }
        int start = 0;
        if (skip > 0) {
            int n = (int) Math.min(skip, chunk.length());
            skip -= n;
            start = n;
            if (start == chunk.length()) {
                return;
            }
        }
        if (acc == null) {
            acc = start == 0 ? chunk : chunk.slice(start, chunk.length());
            pos = 0;
            owned = false;
        } else {
            int add = chunk.length() - start;
            if (!owned || acc.length() + add > ownedCap) {
                // (re)allocate once, sized for the whole PDU being assembled when its header is here,
                // so that a large data segment arriving in many chunks is copied once, not regrown
                int rest = acc.length() - pos;
                int cap = Math.max(64, Math.max(rest + add, pduBytes(acc, pos, rest)));
                Buffer copy = Buffer.buffer(cap);
                copy.appendBuffer(acc, pos, rest);
                acc = copy;
                pos = 0;
                owned = true;
                ownedCap = cap;
            }
            acc.appendBuffer(chunk, start, add);
        }
        while (!dead && acc != null) {
            int avail = acc.length() - pos;
            if (avail < BhsDescriptor.LENGTH) {
                break;
            }
            int ahs = BhsDescriptor.totalAhsBytes(acc, pos);
            int dsl = BhsDescriptor.dataSegmentLength(acc, pos);
            int headerLen = BhsDescriptor.LENGTH + ahs + (headerDigest ? 4 : 0);
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
                view.buffer = acc;
                view.bhs = pos;
                view.ahsLength = ahs;
                view.dataOffset = pos + headerLen;
                view.dataLength = 0;
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
                break;
            }
            view.buffer = acc;
            view.bhs = pos;
            view.ahsLength = ahs;
            view.dataOffset = pos + headerLen;
            view.dataLength = dsl;
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
            } else if (pos > 0 && owned && pos > (acc.length() >>> 1)) {
                int rest = acc.length() - pos;
                int cap = Math.max(64, Math.max(rest, pduBytes(acc, pos, rest)));
                Buffer copy = Buffer.buffer(cap);
                copy.appendBuffer(acc, pos, rest);
                acc = copy;
                pos = 0;
                ownedCap = cap;
            }
        }
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
        int header = BhsDescriptor.LENGTH + BhsDescriptor.totalAhsBytes(b, p) + (headerDigest ? 4 : 0);
        return header + (dsl == 0 ? 0 : dsl + BhsDescriptor.padding(dsl) + (dataDigest ? 4 : 0));
    }
}

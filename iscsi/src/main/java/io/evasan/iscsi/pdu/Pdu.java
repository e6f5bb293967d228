package io.evasan.iscsi.pdu;

import io.vertx.core.buffer.Buffer;

/**
 * A view of one received PDU inside the parser's buffer: the 48-byte BHS at {@link #bhs}, the AHS
 * bytes and the data segment (without padding and digests). Reused by the parser for every PDU: a
 * handler must read what it needs before returning. Invariant: all offsets lie inside
 * {@link #buffer()} and {@code dataOffset + dataLength <= buffer().length()}, except for a
 * {@link #isPlaced() placed} PDU, whose buffer holds only the header.
 */
public final class Pdu {
    Buffer buffer;
    int bhs;
    int ahsLength;
    int dataOffset;
    int dataLength;
    boolean copy;
    /** The buffer belongs to the parser (or is a private copy) and its bytes are never rewritten. */
    boolean owned;
    /** The data segment was placed into the handler's buffer ({@link PduParser.Handler#dataTarget}). */
    boolean placed;
    /** For a placed PDU: the placed data segment (position to limit). */
    java.nio.ByteBuffer placedData;

    public Buffer buffer() { return buffer; }
    /** Offset of the BHS in {@link #buffer()}. */
    public int bhs() { return bhs; }
    public int ahsOffset() { return bhs + BhsDescriptor.LENGTH; }
    public int ahsLength() { return ahsLength; }
    public int dataOffset() { return dataOffset; }
    public int dataLength() { return dataLength; }
    /** True for a private copy made by {@link #copy()} (its buffer is not shared with the parser). */
    public boolean isCopy() { return copy; }
    /**
     * True when the bytes of this view stay valid and unchanged after the handler returns (a buffer
     * the parser allocated, or a private copy); false when they lie in the caller's receive buffer,
     * which is recycled once {@link PduParser#feed} returns.
     */
    public boolean isStable() { return owned || copy; }
    /**
     * True when the data segment is not in {@link #buffer()} but was placed, as it arrived, into the
     * buffer the handler returned from {@link PduParser.Handler#dataTarget}; {@link #buffer()} then
     * holds the header only.
     */
    public boolean isPlaced() { return placed; }

    /** For a {@link #isPlaced() placed} PDU, the buffer holding its data segment (position to limit); else null. */
    public java.nio.ByteBuffer placedData() { return placed ? placedData : null; }

    /** Copies the data segment (placed or not) to {@code dst} at {@code off}. */
    public void copyDataTo(byte[] dst, int off) {
        if (placed) {
            placedData.duplicate().get(dst, off, dataLength);
        } else {
            buffer.getBytes(dataOffset, dataOffset + dataLength, dst, off);
        }
    }

    public int opcode() { return BhsDescriptor.opcode(buffer, bhs); }
    public boolean immediate() { return BhsDescriptor.immediate(buffer, bhs); }
    public int flags() { return BhsDescriptor.flags(buffer, bhs); }
    public int itt() { return buffer.getInt(bhs + BhsDescriptor.ITT_OFFSET); }
    public long lunField() { return buffer.getLong(bhs + BhsDescriptor.LUN_OFFSET); }
    public int u8(int offset) { return buffer.getByte(bhs + offset) & 0xff; }
    public int u16(int offset) { return buffer.getUnsignedShort(bhs + offset); }
    public int u32(int offset) { return buffer.getInt(bhs + offset); }

    /** Copy of the 48-byte BHS (used as the data segment of a Reject PDU). */
    public byte[] copyBhs() { return buffer.getBytes(bhs, bhs + BhsDescriptor.LENGTH); }

    /** Copy of the data segment. */
    public byte[] copyData() {
        if (placed) {
            byte[] d = new byte[dataLength];
            copyDataTo(d, 0);
            return d;
        } return buffer.getBytes(dataOffset, dataOffset + dataLength); }

    /** Builds a standalone view (for tests and the CmdSN reorder queue) over a private copy. */
    public static Pdu of(Buffer wholePdu, int ahsLength, int dataLength) {
        Pdu p = new Pdu();
        p.buffer = wholePdu;
        p.bhs = 0;
        p.ahsLength = ahsLength;
        p.dataOffset = BhsDescriptor.LENGTH + ahsLength;
        p.dataLength = dataLength;
        return p;
    }

    /** Private copy of this PDU (header, AHS, data; no digests) as a standalone view. */
    public Pdu copy() {
        Buffer b = Buffer.buffer(BhsDescriptor.LENGTH + ahsLength + dataLength);
        b.appendBuffer(buffer, bhs, BhsDescriptor.LENGTH + ahsLength);
        if (placed) {
            b.appendBytes(copyData());
        } else {
            b.appendBuffer(buffer, dataOffset, dataLength);
        }
        Pdu p = of(b, ahsLength, dataLength);
        p.copy = true;
        return p;
    }
}

package io.evasan.scsi.target;

import io.evasan.scsi.lu.LuException;

/**
 * Executes one vendor-specific operation code (the seed 003 DCMD 20h, the snapshot marker C0h,
 * ...) on behalf of the target. Registered on the target keyed by opcode; an opcode without a
 * handler gets ILLEGAL REQUEST / INVALID COMMAND OPERATION CODE.
 *
 * <p>Contract: runs on a target worker thread (may block on backend work); writes its Data-In
 * into {@link VendorRequest#dataIn()} from position 0 and returns the number of bytes produced
 * (the target truncates to the expected transfer length and sets the residual); reports errors
 * only by throwing {@link LuException} and then must have changed nothing.
 */
@FunctionalInterface
public interface VendorCommandHandler {
    int execute(VendorRequest request) throws LuException;

    /** Whether the command may transfer Data-Out (used for reservation-conflict checks). */
    default boolean writesMedium(byte[] cdb) {
        return true;
    }
}

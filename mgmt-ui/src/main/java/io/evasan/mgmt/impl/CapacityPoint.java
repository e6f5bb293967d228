package io.evasan.mgmt.impl;

/**
 * One disk group's space at {@code startMillis}: bytes in use, bytes in all, and bytes provisioned (the sum of
 * the sizes of its LUNs, what thin provisioning promised). Invariant: {@code 0 <= usedBytes <= capacityBytes}.
 */
public record CapacityPoint(long startMillis, long usedBytes, long capacityBytes, long provisionedBytes) {
    public CapacityPoint {
        if (usedBytes < 0 || capacityBytes < usedBytes || provisionedBytes < 0) {
            throw new IllegalArgumentException("capacity point out of range: used " + usedBytes + ", capacity "
                    + capacityBytes + ", provisioned " + provisionedBytes);
        }
    }
}

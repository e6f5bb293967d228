package io.evasan.nsc.api;

import java.util.List;

/**
 * The health of one object of the array, taken at the call.
 *
 * @param kind   drive, rss, disk-group, lun, snapshot, controller, cache (the management layer adds port and session)
 * @param id     the object's id within its kind (drive "group/index", rss "group/rss", unit id, controller name)
 * @param name   the object's display name
 * @param state  OK, DEGRADED or FAILED
 * @param reason why it is not OK ("" when OK)
 * @param lost   for a LUN or snapshot whose data is lost: the block ranges that read 03/11/00, ascending; else empty
 */
public record ObjectHealth(String kind, String id, String name, HealthState state, String reason, List<LbaRange> lost) {
    public ObjectHealth {
        lost = List.copyOf(lost);
    }
}

/**
 * Transport-neutral task management (SAM-5 ABORT TASK, ABORT TASK SET, CLEAR TASK SET, LOGICAL UNIT
 * RESET, TARGET WARM/COLD RESET): {@link io.evasan.iscsi.tmf.TaskManagement} over a
 * {@link io.evasan.iscsi.tmf.TmfTransport} and its {@link io.evasan.iscsi.tmf.ManagedTask}s. Nothing
 * here knows iSCSI PDUs; it depends on {@code io.evasan.scsi} and Vert.x only, so it moves to the
 * {@code scsi} module unchanged when a second transport (FCP) needs it. The iSCSI side (TMF Request
 * decoding, the CmdSN rules of RFC 7143 11.5.1, response codes) stays in {@code IscsiConnection}.
 */
package io.evasan.iscsi.tmf;

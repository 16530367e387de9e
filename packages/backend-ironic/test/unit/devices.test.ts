import { describe, expect, it } from 'vitest';
import { chooseDevice, type Device } from '../../src/disks/devices.js';

describe('chooseDevice', () => {
  const GiB = 2 ** 30;
  const devices: Device[] = [
    { name: '/dev/sda', size: 240 * GiB },
    { name: '/dev/sdc', size: 100 * GiB },
    { name: '/dev/sdd', size: 960 * GiB },
  ];
  const root = new Map([['/dev/sda', 'the root device']]);

  it('takes the smallest free device that fits', () => {
    expect(chooseDevice(devices, root, undefined, 1024, 'd').name).toBe('/dev/sdc');
    expect(chooseDevice(devices, new Map([...root, ['/dev/sdc', 'backs another persistent disk']]), undefined, 1024, 'd').name).toBe('/dev/sdd');
  });

  it('no room: every device taken or too small is NoDiskSpace, with each reason', () => {
    const taken = new Map([...root, ['/dev/sdc', 'backs another persistent disk'], ['/dev/sdd', 'waits to be wiped']]);
    expect(() => chooseDevice(devices, taken, undefined, 1024, 'Creating a disk')).toThrowError(
      expect.objectContaining({
        type: 'Bosh::Clouds::NoDiskSpace',
        message: 'Creating a disk: no device can take it (/dev/sdc: backs another persistent disk; /dev/sda: the root device; /dev/sdd: waits to be wiped)',
      }),
    );
  });

  it("a hint no device matches, or one that names only the agent's devices, is a config problem, not a lack of room", () => {
    expect(() => chooseDevice(devices, root, { serial: 'NOPE' }, 1024, 'd')).toThrowError(expect.objectContaining({ type: 'Bosh::Clouds::CloudError' }));
    expect(() => chooseDevice(devices, root, '/dev/sda', 1024, 'd')).toThrowError(
      expect.objectContaining({
        type: 'Bosh::Clouds::CloudError',
        message:
          'd: no device can take it (/dev/sdc: does not match the persistent_disk hint; ' +
          '/dev/sda: the root device; /dev/sdd: does not match the persistent_disk hint)',
      }),
    );
    // The hinted device backs a disk, or is too small: no room.
    expect(() => chooseDevice(devices, new Map([...root, ['/dev/sdc', 'backs another persistent disk']]), '/dev/sdc', 1024, 'd')).toThrowError(
      expect.objectContaining({ type: 'Bosh::Clouds::NoDiskSpace' }),
    );
    expect(() => chooseDevice(devices, root, '/dev/sdc', 200 * 1024, 'd')).toThrowError(expect.objectContaining({ type: 'Bosh::Clouds::NoDiskSpace' }));
  });
});

export {
  serializeSafetensors, deserializeSafetensors, parseSafetensorsHeader,
  type SafetensorsHeader, type SafetensorsTensorInfo,
} from './safetensors.js';
export { saveSafetensors, loadSafetensors } from './safetensors-file.js';

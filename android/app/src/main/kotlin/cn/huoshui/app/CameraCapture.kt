package cn.huoshui.app

import androidx.camera.core.ImageCapture
import androidx.camera.core.ImageCaptureException
import androidx.camera.core.ImageProxy
import androidx.camera.view.CameraController
import androidx.camera.view.LifecycleCameraController
import androidx.camera.view.PreviewView
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.runtime.Composable
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.unit.dp
import androidx.compose.ui.viewinterop.AndroidView
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.LocalLifecycleOwner
import cn.huoshui.ui.BigButton
import cn.huoshui.ui.HuoshuiTheme
import cn.huoshui.ui.SecondButton

/**
 * Full-screen document capture with CameraX: the preview, a big shutter button, "pick a photo
 * instead" and cancel. The JPEG bytes go straight to the core's vault (encrypted there; nothing
 * is written to the gallery or to a file).
 */
@Composable
fun CameraCapture(onTaken: (ByteArray) -> Unit, onPickInstead: () -> Unit, onCancel: () -> Unit) {
    val context = LocalContext.current
    val owner = LocalLifecycleOwner.current
    val controller = remember {
        LifecycleCameraController(context).apply {
            setEnabledUseCases(CameraController.IMAGE_CAPTURE)
            imageCaptureMode = ImageCapture.CAPTURE_MODE_MAXIMIZE_QUALITY
            bindToLifecycle(owner)
        }
    }
    HuoshuiTheme {
        Column(Modifier.fillMaxSize()) {
            AndroidView({ PreviewView(it).apply { this.controller = controller } }, Modifier.weight(1f).fillMaxWidth())
            Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
                BigButton("拍照", {
                    controller.takePicture(
                        ContextCompat.getMainExecutor(context),
                        object : ImageCapture.OnImageCapturedCallback() {
                            override fun onCaptureSuccess(image: ImageProxy) {
                                val buffer = image.planes[0].buffer
                                val bytes = ByteArray(buffer.remaining()).also { buffer.get(it) }
                                image.close()
                                onTaken(bytes)
                            }

                            override fun onError(exception: ImageCaptureException) = onCancel()
                        },
                    )
                }, tag = "shutter")
                SecondButton("从相册选择", onPickInstead, Modifier.fillMaxWidth())
                SecondButton("取消", onCancel, Modifier.fillMaxWidth())
            }
        }
    }
}

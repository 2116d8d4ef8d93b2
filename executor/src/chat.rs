//! Chat templates: a model's own Jinja template (HF's `chat_template`, GGUF's
//! `tokenizer.chat_template`) rendered with MiniJinja, the way executor and validator turn a list
//! of messages into the prompt text both then tokenize.

use daya_protocol::ChatMessage;
use minijinja::{Environment, ErrorKind};

use crate::{engine::EngineError, hash::blake2_256};

/// A model's chat template.
pub struct ChatTemplate {
	env: Environment<'static>,
	source: String,
	bos: String,
	eos: String,
}

impl ChatTemplate {
	/// Compiles `source`; `bos` and `eos` are the texts of the model's special tokens, which
	/// templates may use as `bos_token` and `eos_token`.
	pub fn new(source: &str, bos: &str, eos: &str) -> anyhow::Result<Self> {
		let mut env = Environment::new();
		env.add_function(
			"raise_exception",
			|message: String| -> Result<String, minijinja::Error> {
				Err(minijinja::Error::new(ErrorKind::InvalidOperation, message))
			},
		);
		env.add_template_owned("chat", source.to_string())
			.map_err(|e| anyhow::anyhow!("the model's chat template does not compile: {e}"))?;
		Ok(Self { env, source: source.to_string(), bos: bos.into(), eos: eos.into() })
	}

	/// BLAKE2-256 of the template's source.
	pub fn hash(&self) -> [u8; 32] {
		blake2_256(self.source.as_bytes())
	}

	/// The prompt of `messages`, ending with the assistant's turn opened.
	pub fn render(&self, messages: &[ChatMessage]) -> Result<String, EngineError> {
		if messages.is_empty() {
			return Err(EngineError::Invalid("a chat without messages".into()));
		}
		let template = self
			.env
			.get_template("chat")
			.map_err(|e| EngineError::Internal(e.to_string()))?;
		template
			.render(minijinja::context! {
				messages => messages,
				add_generation_prompt => true,
				bos_token => self.bos,
				eos_token => self.eos,
			})
			.map_err(|e| EngineError::Invalid(format!("rendering the chat template: {e}")))
	}
}

/// The template of models that have none (the dev model): one `role: content` line per message,
/// then `assistant: `.
pub fn plain_chat(messages: &[ChatMessage]) -> Result<String, EngineError> {
	if messages.is_empty() {
		return Err(EngineError::Invalid("a chat without messages".into()));
	}
	let mut prompt = String::new();
	for m in messages {
		prompt.push_str(&m.role);
		prompt.push_str(": ");
		prompt.push_str(&m.content);
		prompt.push('\n');
	}
	prompt.push_str("assistant: ");
	Ok(prompt)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn msg(role: &str, content: &str) -> ChatMessage {
		ChatMessage { role: role.into(), content: content.into() }
	}

	#[test]
	fn a_chatml_template_renders_and_errors_are_named() {
		let t = ChatTemplate::new(
			"{% for m in messages %}{% if m.role == 'bad' %}{{ raise_exception('no bad roles') }}{% endif %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
			"<s>",
			"</s>",
		)
		.unwrap();
		assert_eq!(
			t.render(&[msg("user", "Hi")]).unwrap(),
			"<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
		);
		let err = t.render(&[msg("bad", "x")]).unwrap_err();
		assert!(err.to_string().contains("no bad roles"), "{err}");
		assert!(matches!(t.render(&[]), Err(EngineError::Invalid(_))));
		assert!(ChatTemplate::new("{% for %}", "", "").is_err());
		assert_eq!(plain_chat(&[msg("user", "Hi")]).unwrap(), "user: Hi\nassistant: ");
	}
}
